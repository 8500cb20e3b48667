#ifndef SWITCHBOARD_FASTTEXT_SHIM_H
#define SWITCHBOARD_FASTTEXT_SHIM_H

// A C face for fastText's supervised classifier (Debian's libfasttext-dev), whose API is C++.
// Every function catches what fastText throws and reports it as text: none throws or exits.

#ifdef __cplusplus
extern "C" {
#endif

/// How a model is trained; the fields mirror fastText's own arguments of the same names.
typedef struct {
    int epoch;
    double lr;
    int word_ngrams;
    int minn;
    int maxn;
    int dim;
    int bucket;
    int threads;
    int seed;
    /// Non-zero: product-quantise the trained model (fastText's `quantize`, without retraining),
    /// which makes it several times smaller at a small cost in accuracy.
    int quantize;
} switchboard_fasttext_options;

typedef struct switchboard_fasttext switchboard_fasttext;

/// Trains a supervised model on `input_path`, a file of lines `__label__NAME text…`, and writes
/// it to `output_path` in fastText's own format. Returns 0, or -1 with the reason in `error`.
int switchboard_fasttext_train(const char *input_path, const char *output_path,
                               const switchboard_fasttext_options *options, char *error, int capacity);

/// Reads a model file in fastText's format. Returns NULL with the reason in `error` when the file
/// is not one. The file must be complete: a truncated model can make fastText's reader loop, so
/// callers check a checksum first.
switchboard_fasttext *switchboard_fasttext_load(const char *path, char *error, int capacity);

void switchboard_fasttext_free(switchboard_fasttext *model);

/// The model's `k` likeliest labels for one line of text, likeliest first: each label (without
/// fastText's `__label__` prefix) NUL-terminated one after the other in `labels` (at most
/// `capacity` bytes), its probability in `probabilities[i]`. Returns how many were written.
/// Safe to call from several threads at once.
int switchboard_fasttext_predict(const switchboard_fasttext *model, const char *text, int k,
                                 char *labels, int capacity, float *probabilities);

/// How many labels the model knows.
int switchboard_fasttext_label_count(const switchboard_fasttext *model);

#ifdef __cplusplus
}
#endif

#endif
