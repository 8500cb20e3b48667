#include "fasttext_shim.h"

#include <fasttext/args.h>
#include <fasttext/fasttext.h>

#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

struct switchboard_fasttext {
    fasttext::FastText model;
};

namespace {

void report(const std::string &message, char *error, int capacity) {
    if (error == nullptr || capacity <= 0) return;
    std::strncpy(error, message.c_str(), static_cast<size_t>(capacity - 1));
    error[capacity - 1] = '\0';
}

const std::string labelPrefix = "__label__";

}  // namespace

extern "C" int switchboard_fasttext_train(const char *input_path, const char *output_path,
                                          const switchboard_fasttext_options *options, char *error, int capacity) {
    try {
        fasttext::Args args;
        args.input = input_path;
        args.output = output_path;
        args.model = fasttext::model_name::sup;
        args.loss = fasttext::loss_name::softmax;
        args.minCount = 1;
        args.epoch = options->epoch;
        args.lr = options->lr;
        args.wordNgrams = options->word_ngrams;
        args.minn = options->minn;
        args.maxn = options->maxn;
        args.dim = options->dim;
        args.bucket = options->bucket;
        args.thread = options->threads;
        args.seed = options->seed;
        args.verbose = 0;
        fasttext::FastText model;
        model.train(args);
        if (options->quantize) {
            fasttext::Args quantizeArgs = args;
            quantizeArgs.qnorm = true;
            quantizeArgs.retrain = false;
            quantizeArgs.cutoff = 0;
            quantizeArgs.dsub = 2;
            model.quantize(quantizeArgs);
        }
        model.saveModel(output_path);
        return 0;
    } catch (const std::exception &exception) {
        report(exception.what(), error, capacity);
    } catch (...) {
        report("fastText failed without saying why", error, capacity);
    }
    return -1;
}

extern "C" switchboard_fasttext *switchboard_fasttext_load(const char *path, char *error, int capacity) {
    try {
        auto *wrapper = new switchboard_fasttext();
        try {
            // The file form, not the stream form: only it reads fastText's header (magic
            // number and version), which the rest of the reader depends on.
            wrapper->model.loadModel(std::string(path));
        } catch (...) {
            delete wrapper;
            throw;
        }
        return wrapper;
    } catch (const std::exception &exception) {
        report(std::string("cannot read the fastText model: ") + exception.what(), error, capacity);
    } catch (...) {
        report("cannot read the fastText model", error, capacity);
    }
    return nullptr;
}

extern "C" void switchboard_fasttext_free(switchboard_fasttext *model) {
    delete model;
}

extern "C" int switchboard_fasttext_predict(const switchboard_fasttext *model, const char *text, int k,
                                            char *labels, int capacity, float *probabilities) {
    try {
        std::string line(text);
        for (char &c : line) {
            if (c == '\n' || c == '\r') c = ' ';
        }
        line.push_back('\n');
        std::istringstream in(line);
        std::vector<std::pair<fasttext::real, std::string>> predictions;
        model->model.predictLine(in, predictions, k, 0.0);
        int written = 0;
        int used = 0;
        for (const auto &prediction : predictions) {
            std::string label = prediction.second;
            if (label.compare(0, labelPrefix.size(), labelPrefix) == 0) label = label.substr(labelPrefix.size());
            if (used + static_cast<int>(label.size()) + 1 > capacity) break;
            std::memcpy(labels + used, label.c_str(), label.size() + 1);
            used += static_cast<int>(label.size()) + 1;
            probabilities[written] = prediction.first;
            written += 1;
        }
        return written;
    } catch (...) {
        return 0;
    }
}

extern "C" int switchboard_fasttext_label_count(const switchboard_fasttext *model) {
    try {
        return model->model.getDictionary()->nlabels();
    } catch (...) {
        return 0;
    }
}
