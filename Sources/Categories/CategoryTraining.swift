public import Postgres
import Foundation

/// Trains a model on the database's labelled examples (`category_examples`), evaluated on a
/// held-out fifth of them, and stores it as a new version (`category_models`).
public struct CategoryTraining: Sendable {
    public var options: CategoryTrainingOptions
    /// A prediction less likely than this leaves the conversation uncategorised.
    public var threshold: Double
    /// Train one model per language (each on that language's examples) instead of one for all:
    /// for comparing the two in an evaluation; the worker uses one model, so such a training is
    /// never stored.
    public var perLanguage = false

    public init(options: CategoryTrainingOptions = .init(), threshold: Double = 0.5) {
        self.options = options
        self.threshold = threshold
    }

    /// The labelled examples, split, with what the rules say of the held-out ones.
    public struct Examples: Sendable {
        public var training: [(language: String, example: CategoryExample)] = []
        public var heldOut: [(language: String, example: CategoryExample)] = []
        /// The category the enabled rules that apply to every store give each held-out example
        /// (`category_rules_best`), nil where none matches; in the order of `heldOut`. Without a
        /// model: every enabled rule; beside one: those that do not yield to it.
        public var ruleCategories: (withoutModel: [String?], besideModel: [String?]) = ([], [])
        /// `category_examples_digest()` when they were read.
        public var digest = ""
    }

    /// What one training made.
    public struct Outcome: Sendable {
        public var model: CategoryModel
        public var evaluation: CategoryEvaluation
        public var trainingExamples: Int
        public var trainingSeconds: Double
        /// The median time one prediction took over the held-out examples, in microseconds.
        public var medianPredictionMicroseconds: Double
        /// The fingerprint of the examples it was trained on.
        public var digest: String
        /// The version stored, when it was.
        public var version: Int64?
    }

    /// Trains on four fifths of the examples and evaluates on the rest (by example id, so the
    /// split is the same every time); stores the model when `store` is set. Runs on the caller's
    /// thread: seconds of CPU for thousands of examples.
    public func run(store: Bool, on connection: isolated PostgresConnection) throws -> Outcome {
        var outcome = try train(try Self.examples(on: connection))
        if store { outcome.version = try Self.store(outcome, on: connection) }
        return outcome
    }

    /// Trains and stores a new version unless the newest one was trained on the examples as
    /// they are now (the scheduled retraining); returns nil when it skipped, before training or
    /// after, when another training stored a version of the same examples first. Holds a connection
    /// only to read and to store; the training itself runs on a thread of its own, off Swift's
    /// cooperative pool, so the worker's other jobs go on meanwhile.
    public func retrainIfChanged(pool: PostgresPool) async throws -> Outcome? {
        guard let examples = try await Self.examplesIfChanged(pool: pool) else { return nil }
        var outcome = try await Self.offCooperativePool { try self.train(examples) }
        guard let version = try await Self.storeUnlessCurrent(outcome, pool: pool) else { return nil }
        outcome.version = version
        return outcome
    }

    /// The examples, unless the newest model was trained on them as they are now.
    static func examplesIfChanged(pool: PostgresPool) async throws -> Examples? {
        try await pool.withConnection { connection -> Examples? in
            let row = try connection.query("""
                SELECT category_examples_digest(), (SELECT examples_digest FROM category_models ORDER BY version DESC LIMIT 1)
                """).first
            let digest = try row?.decode(String.self, at: 0) ?? ""
            if try row?.decode(String?.self, at: 1) == digest { return nil }
            return try Self.examples(on: connection, digest: digest)
        }
    }

    /// Stores the outcome as a new version unless the newest one was trained on the same
    /// examples: another worker may have trained on them meanwhile (a scheduled tick beside
    /// `categories train`, or two ticks), and one version per set of examples is enough.
    static func storeUnlessCurrent(_ outcome: Outcome, pool: PostgresPool) async throws -> Int64? {
        try await pool.withConnection { connection in
            try await connection.transaction { connection -> Int64? in
                try connection.execute("SELECT pg_advisory_xact_lock(hashtextextended('switchboard.category_models:' || current_schema(), 0))")
                let newest = try connection.query("SELECT examples_digest FROM category_models ORDER BY version DESC LIMIT 1").first
                if try newest?.decode(String?.self, at: 0) == outcome.digest { return nil }
                return try Self.store(outcome, on: connection)
            }
        }
    }

    /// Reads and splits the examples, and asks the rules about the held-out ones. `digest`:
    /// `category_examples_digest()` when the caller has just read it.
    public static func examples(on connection: isolated PostgresConnection, digest: String? = nil) throws -> Examples {
        var examples = Examples()
        examples.digest = try digest ?? connection.query("SELECT category_examples_digest()").scalar(String.self)
        for row in try connection.query("SELECT id, category, language, text FROM category_examples ORDER BY id") {
            let id = try row.decode(Int64.self, at: 0)
            let example = (try row.decode(String.self, at: 2),
                           CategoryExample(category: try row.decode(String.self, at: 1), text: try row.decode(String.self, at: 3)))
            if isHeldOut(id) { examples.heldOut.append(example) } else { examples.training.append(example) }
        }
        guard !examples.heldOut.isEmpty else { return examples }
        // As ingest matches them: lower case. No store: the rules of every store.
        let texts = examples.heldOut.map { $0.example.text.lowercased() }
        let languages = examples.heldOut.map(\.language)
        let ords = (0..<texts.count).map { Int64($0) }
        func verdicts(withModel: Bool) throws -> [String?] {
            var rules = [String?](repeating: nil, count: texts.count)
            for row in try connection.query("""
                SELECT ord, category FROM category_rules_best(\(ords)::int8[]::int4[], array_fill(NULL::bigint, ARRAY[\(texts.count)::int]),
                                                              \(languages)::text[], \(texts)::text[], \(withModel))
                """) {
                rules[Int(try row.decode(Int32.self, at: 0))] = try row.decode(String.self, at: 1)
            }
            return rules
        }
        examples.ruleCategories = (try verdicts(withModel: false), try verdicts(withModel: true))
        return examples
    }

    /// Trains (one model, or one per language when `perLanguage`) and evaluates on the held-out examples.
    public func train(_ examples: Examples) throws -> Outcome {
        guard !examples.training.isEmpty else {
            throw CategoryModelError("there are no labelled examples to train on: load the starting corpus or let agents set categories (set_conversation_category)")
        }
        let started = ContinuousClock.now
        let model = try CategoryModel.train(examples.training.map(\.example), options: options)
        var models: [String: CategoryModel] = [:]
        if perLanguage {
            for (language, group) in Dictionary(grouping: examples.training, by: \.language)
            where Set(group.map(\.example.category)).count >= 2 {
                models[language] = try CategoryModel.train(group.map(\.example), options: options)
            }
        }
        let seconds = (ContinuousClock.now - started).seconds
        var timings: [Double] = []
        timings.reserveCapacity(examples.heldOut.count)
        let guesses = examples.heldOut.map { language, example in
            let start = ContinuousClock.now
            let guess = (models[language] ?? model).predict(example.text).first
            timings.append((ContinuousClock.now - start).seconds * 1_000_000)
            return guess
        }
        var evaluation = CategoryEvaluation(threshold: threshold, examples: examples.heldOut, guesses: guesses)
        let rules = examples.ruleCategories
        if rules.withoutModel.count == examples.heldOut.count, rules.besideModel.count == examples.heldOut.count {
            evaluation.comparison = CategoryComparison(threshold: threshold, examples: examples.heldOut, guesses: guesses,
                                                       rulesWithoutModel: rules.withoutModel, rulesBesideModel: rules.besideModel)
        }
        let median = timings.isEmpty ? 0 : timings.sorted()[timings.count / 2]
        return Outcome(model: model, evaluation: evaluation, trainingExamples: examples.training.count, trainingSeconds: seconds,
                       medianPredictionMicroseconds: median, digest: examples.digest)
    }

    /// Stores the outcome's model as a new version; returns it. Each ingest worker loads it
    /// with its next message (LISTEN), or at its next look for one.
    public static func store(_ outcome: Outcome, on connection: isolated PostgresConnection) throws -> Int64 {
        let json = String(decoding: try JSONEncoder().encode(outcome.evaluation), as: UTF8.self)
        let heldOut = outcome.evaluation.overall.total
        return try connection.query("""
            INSERT INTO category_models (model, examples, held_out, accuracy, evaluation, training_seconds, examples_digest)
            VALUES (\(outcome.model.data), \(outcome.trainingExamples), \(heldOut), \(heldOut == 0 ? nil : outcome.evaluation.overall.accuracy),
                    \(json)::jsonb, \(outcome.trainingSeconds), \(outcome.digest))
            RETURNING version
            """).scalar(Int64.self)
    }

    /// One example in five is held out, chosen by a hash of its id so that the split does not
    /// follow the order examples were added in.
    static func isHeldOut(_ id: Int64) -> Bool {
        var x = UInt64(bitPattern: id) &+ 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return (x ^ (x >> 31)) % 5 == 0
    }

    /// Runs `body` on a thread of its own and waits for it without holding one of the
    /// cooperative pool's few threads.
    static func offCooperativePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
