import CFastText
public import Foundation
import Crypto

/// A labelled example: a customer's message and the category it belongs to.
public struct CategoryExample: Sendable, Equatable {
    public var category: String
    public var text: String

    public init(category: String, text: String) {
        self.category = category
        self.text = text
    }
}

/// How a model is trained (fastText's supervised mode). Character n-grams (`minimumNgram` to
/// `maximumNgram`) let it recognise inflected forms of words it saw (Ukrainian, Russian, Polish)
/// and pieces of unsegmented text (Chinese). The defaults were chosen by 5-fold cross-validation
/// on the training four fifths of the starting corpus (6,563 examples, 0039): n-grams of 3 to 6
/// characters at learning rate 0.3 were right in 89.9 % of the folds' examples against 88.7 %
/// for 2 to 5 at 0.5; more dimensions, more buckets, word trigrams or other epochs did not help.
public struct CategoryTrainingOptions: Sendable {
    /// Passes over the examples; nil: 100 up to 4,000 examples, then fewer (400,000 ÷ examples),
    /// never under 25: a small corpus needs many passes, a large one fewer, and training time
    /// grows with both. (On the 3,000 examples of the starting corpus, 100 passes were 1–3
    /// points more accurate than 44.)
    public var epochs: Int?
    public var learningRate = 0.3
    public var wordNgrams = 2
    public var minimumNgram = 3
    public var maximumNgram = 6
    public var dimensions = 50
    /// Hash buckets for n-grams: the model's size is about `buckets × dimensions × 4` bytes
    /// before quantisation.
    public var buckets = 50_000
    /// One thread by default: then the same examples and seed give the same model, so an
    /// evaluation can be repeated (with two, the held-out accuracy of one language moved by up
    /// to 5 points between runs), and a worker training in the background keeps a core free.
    public var threads = 1
    public var seed = 1
    /// Product-quantise the model: several times smaller, a little less accurate.
    public var quantize = false

    public init() {}
}

/// Why a model could not be trained or read.
public struct CategoryModelError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A trained category classifier. Its bytes (``data``) are what is stored: fastText's model in
/// a small envelope with a SHA-256 checksum, so that a damaged copy is refused instead of read
/// (fastText's reader can loop on a truncated model). Predictions may run on many threads at once.
public final class CategoryModel: @unchecked Sendable {
    /// The stored form: envelope and model.
    public let data: Data
    /// The categories the model knows.
    public let categoryCount: Int
    private let handle: OpaquePointer

    private static let magic = Data("switchboard-fasttext-1\n".utf8)

    /// Reads a model from its stored form.
    public init(data: Data) throws {
        let headerLength = Self.magic.count + 32
        guard data.count > headerLength, data.prefix(Self.magic.count) == Self.magic else {
            throw CategoryModelError("not a Switchboard category model (\(data.count) bytes without its header)")
        }
        let checksum = data.subdata(in: data.startIndex + Self.magic.count ..< data.startIndex + headerLength)
        let model = data.subdata(in: data.startIndex + headerLength ..< data.endIndex)
        guard Data(SHA256.hash(data: model)) == checksum else {
            throw CategoryModelError("the category model is damaged (its checksum does not match its \(model.count) bytes)")
        }
        // fastText reads its header only from a file: the bytes pass through one, then it goes.
        let file = FileManager.default.temporaryDirectory.appending(path: "switchboard-category-model-\(UUID().uuidString).bin")
        try model.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var error = [CChar](repeating: 0, count: 512)
        let loaded = switchboard_fasttext_load(file.path, &error, Int32(error.count))
        guard let loaded else {
            throw CategoryModelError(Self.text(ofCString: error))
        }
        self.data = data
        self.handle = loaded
        self.categoryCount = Int(switchboard_fasttext_label_count(loaded))
    }

    deinit { switchboard_fasttext_free(handle) }

    /// The `limit` likeliest categories of `text`, likeliest first, with their probabilities.
    public func predict(_ text: String, limit: Int = 1) -> [(category: String, probability: Double)] {
        let line = CategoryText.normalized(text)
        guard !line.isEmpty, limit > 0 else { return [] }
        var labels = [CChar](repeating: 0, count: 64 * limit + 64)
        var probabilities = [Float](repeating: 0, count: limit)
        let count = Int(switchboard_fasttext_predict(handle, line, Int32(limit), &labels, Int32(labels.count), &probabilities))
        var results: [(String, Double)] = []
        var start = 0
        for index in 0..<count {
            let end = labels[start...].firstIndex(of: 0) ?? labels.count
            let name = Self.text(ofCString: labels[start..<end])
            results.append((name, Double(probabilities[index])))
            start = end + 1
        }
        return results
    }

    /// The UTF-8 text of a C buffer, up to its first NUL.
    private static func text<Buffer: Collection<CChar>>(ofCString buffer: Buffer) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Trains a model on `examples`. Categories are names of letters, digits, `_` and `-`;
    /// fastText reads its training data from a file, made in a temporary directory and removed.
    public static func train(_ examples: [CategoryExample], options: CategoryTrainingOptions = .init()) throws -> CategoryModel {
        guard Set(examples.map(\.category)).count >= 2 else {
            throw CategoryModelError("training needs examples of at least two categories, got \(Set(examples.map(\.category)).sorted())")
        }
        if let bad = examples.first(where: { !CategoryText.isValidCategory($0.category) }) {
            throw CategoryModelError("'\(bad.category)' is not a category name (letters, digits, _ and - only)")
        }
        let directory = FileManager.default.temporaryDirectory.appending(path: "switchboard-categories-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appending(path: "train.txt")
        let output = directory.appending(path: "model.bin")
        var lines = ""
        for example in examples {
            let text = CategoryText.normalized(example.text)
            guard !text.isEmpty else { continue }
            lines += "__label__\(example.category) \(text)\n"
        }
        try lines.write(to: input, atomically: false, encoding: .utf8)
        let epochs = options.epochs ?? max(25, min(100, 400_000 / max(1, examples.count)))
        var settings = switchboard_fasttext_options(
            epoch: Int32(epochs), lr: options.learningRate, word_ngrams: Int32(options.wordNgrams),
            minn: Int32(options.minimumNgram), maxn: Int32(options.maximumNgram), dim: Int32(options.dimensions),
            bucket: Int32(options.buckets), threads: Int32(options.threads), seed: Int32(options.seed),
            quantize: options.quantize ? 1 : 0)
        var error = [CChar](repeating: 0, count: 512)
        guard switchboard_fasttext_train(input.path, output.path, &settings, &error, Int32(error.count)) == 0 else {
            throw CategoryModelError("training failed: " + Self.text(ofCString: error))
        }
        let model = try Data(contentsOf: output)
        return try CategoryModel(data: magic + Data(SHA256.hash(data: model)) + model)
    }
}

/// The text as the classifier sees it: lower case, one line, and Chinese and Japanese characters
/// apart, since those languages write without spaces and fastText splits at spaces.
enum CategoryText {
    static func normalized(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        var lastWasSpace = true
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isWhitespace || scalar.value < 0x20 {
                if !lastWasSpace { result.unicodeScalars.append(" ") }
                lastWasSpace = true
            } else if isIdeograph(scalar) {
                if !lastWasSpace { result.unicodeScalars.append(" ") }
                result.unicodeScalars.append(scalar)
                result.unicodeScalars.append(" ")
                lastWasSpace = true
            } else {
                result.unicodeScalars.append(scalar)
                lastWasSpace = false
            }
        }
        while result.last == " " { result.removeLast() }
        return result
    }

    static func isIdeograph(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2FA1F: true
        default: false
        }
    }

    static func isValidCategory(_ name: String) -> Bool {
        !name.isEmpty && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }
}
