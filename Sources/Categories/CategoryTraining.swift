public import Postgres
import Foundation

/// Trains a model on the database's labelled examples (`category_examples`), evaluated on a
/// held-out fifth of them, and stores it as a new version (`category_models`).
public struct CategoryTraining: Sendable {
    public var options: CategoryTrainingOptions
    /// A prediction less likely than this leaves the conversation uncategorised.
    public var threshold: Double

    public init(options: CategoryTrainingOptions = .init(), threshold: Double = 0.5) {
        self.options = options
        self.threshold = threshold
    }

    /// What one training made.
    public struct Outcome: Sendable {
        public var model: CategoryModel
        public var evaluation: CategoryEvaluation
        public var trainingExamples: Int
        public var trainingSeconds: Double
        /// The median time one prediction took over the held-out examples, in microseconds.
        public var medianPredictionMicroseconds: Double
        /// The version stored, when it was.
        public var version: Int64?
    }

    /// Trains on four fifths of the examples and evaluates on the rest (by example id, so the
    /// split is the same every time); stores the model when `store` is set.
    public func run(store: Bool, on connection: isolated PostgresConnection) throws -> Outcome {
        let rows = try connection.query("SELECT id, category, language, text FROM category_examples ORDER BY id")
        var training: [CategoryExample] = []
        var heldOut: [(language: String, example: CategoryExample)] = []
        for row in rows {
            let id = try row.decode(Int64.self, at: 0)
            let example = CategoryExample(category: try row.decode(String.self, at: 1), text: try row.decode(String.self, at: 3))
            if Self.isHeldOut(id) { heldOut.append((try row.decode(String.self, at: 2), example)) } else { training.append(example) }
        }
        guard !training.isEmpty else {
            throw CategoryModelError("there are no labelled examples to train on: load the starting corpus or let agents set categories (set_conversation_category)")
        }
        let started = ContinuousClock.now
        let model = try CategoryModel.train(training, options: options)
        let seconds = (ContinuousClock.now - started).seconds
        var timings: [Double] = []
        timings.reserveCapacity(heldOut.count)
        let evaluation = CategoryEvaluation(threshold: threshold, examples: heldOut) { text in
            let start = ContinuousClock.now
            let guess = model.predict(text).first
            timings.append((ContinuousClock.now - start).seconds * 1_000_000)
            return guess
        }
        let median = timings.isEmpty ? 0 : timings.sorted()[timings.count / 2]
        var outcome = Outcome(model: model, evaluation: evaluation, trainingExamples: training.count, trainingSeconds: seconds,
                              medianPredictionMicroseconds: median)
        guard store else { return outcome }
        let json = String(decoding: try JSONEncoder().encode(evaluation), as: UTF8.self)
        outcome.version = try connection.query("""
            INSERT INTO category_models (model, examples, held_out, accuracy, evaluation, training_seconds)
            VALUES (\(model.data), \(training.count), \(heldOut.count), \(heldOut.isEmpty ? nil : evaluation.overall.accuracy),
                    \(json)::jsonb, \(seconds))
            RETURNING version
            """).scalar(Int64.self)
        return outcome
    }

    /// One example in five is held out, chosen by a hash of its id so that the split does not
    /// follow the order examples were added in.
    static func isHeldOut(_ id: Int64) -> Bool {
        var x = UInt64(bitPattern: id) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return (x ^ (x >> 31)) % 5 == 0
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
