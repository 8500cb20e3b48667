import Foundation
import Postgres
import Testing
import TestSupport
@testable import Categories

@Suite("Categories learnt from agents' corrections")
struct CategoryTrainingTests {
    /// A conversation with one inbound message of `text` in `language`.
    private static func conversation(_ text: String, language: String, on connection: isolated PostgresConnection) throws -> Int64 {
        try connection.query("""
            WITH c AS (INSERT INTO customers (store_id) VALUES (1) RETURNING id),
                 v AS (INSERT INTO conversations (store_id, customer_id, channel, language) SELECT 1, id, 'chat', \(language) FROM c RETURNING id),
                 m AS (INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text)
                       SELECT 1, id, 'inbound', 'customer', 'chat', \(text) FROM v)
            SELECT id FROM v
            """).scalar(Int64.self)
    }

    @Test("an agent's category becomes a labelled example (a correction replaces it); a bad category is refused with the list")
    func correctionsBecomeExamples() async throws {
        try await TestDatabase.withConnection("category_examples") { connection, schema in
            try await schema.migrate()
            try await connection.run { connection in
                let id = try Self.conversation("Where is my parcel?", language: "en", on: connection)
                try connection.execute("SELECT set_conversation_category(\(id), 'returns')")
                try connection.execute("SELECT set_conversation_category(\(id), 'delivery')")
                let rows = try connection.query("SELECT category, language, text, source FROM category_examples WHERE conversation_id = \(id)")
                #expect(rows.count == 1)
                #expect(try rows.first.map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2), try $0.decode(String.self, at: 3)] }
                        == ["delivery", "en", "Where is my parcel?", "agent"])
                #expect(try connection.query("SELECT category FROM conversations WHERE id = \(id)").scalar(String.self) == "delivery")
                #expect(try connection.query("SELECT count(*) FROM audit_events WHERE kind = 'category_set' AND conversation_id = \(id)").scalar(Int.self) == 2)
                do {
                    try connection.execute("SELECT set_conversation_category(\(id), 'shipping')")
                    Issue.record("an unknown category was accepted")
                } catch let error as PostgresError {
                    #expect(error.message == "no category shipping")
                    #expect(error.hint?.contains("delivery") == true)
                }
                try connection.execute("SELECT set_conversation_category(\(id), NULL)")
                #expect(try connection.query("SELECT count(*) FROM category_examples WHERE conversation_id = \(id)").scalar(Int.self) == 0)
            }
        }
    }

    @Test("training on the stored examples learns a category from agents' corrections alone, evaluates on held-out examples, and stores the version")
    func trainsFromCorrections() async throws {
        try await TestDatabase.withConnection("category_training") { connection, schema in
            try await schema.migrate()
            // The corpus knows three categories; agents teach a fourth, 'payment', by correcting conversations.
            var corpus: [(String, String, String)] = []
            for example in CategoryModelTests.examples where example.category != "billing" {
                corpus.append((example.category == "shipping" ? "delivery" : example.category, "en", example.text))
            }
            corpus += [("product", "en", "what size is the oak desk and is it in stock"), ("product", "en", "is the jacket waterproof"),
                       ("product", "uk", "який розмір у цього столу"), ("product", "pl", "jaki jest rozmiar tego biurka"),
                       ("product", "zh", "这张桌子有什么尺寸")]
            let examples = corpus
            try await connection.run { connection in
                // This test's own corpus instead of the starting one (0031).
                try connection.execute("DELETE FROM category_examples WHERE source = 'corpus'")
                for (category, language, text) in examples {
                    try connection.execute("INSERT INTO category_examples (category, language, text, source) VALUES (\(category), \(language), \(text), 'corpus')")
                }
                for example in CategoryModelTests.examples where example.category == "billing" {
                    let id = try Self.conversation(example.text, language: "xx", on: connection)
                    try connection.execute("SELECT set_conversation_category(\(id), 'payment')")
                }
            }
            var options = CategoryTrainingOptions()
            options.threads = 1
            options.epochs = 60
            options.buckets = 20_000
            let training = CategoryTraining(options: options, threshold: 0.3)
            let outcome = try await connection.run { connection in
                try training.run(store: true, on: connection)
            }
            #expect(outcome.model.categoryCount == 4)
            #expect(outcome.model.predict("charged twice, my card payment failed, send the vat invoice").first?.category == "payment")
            #expect(outcome.evaluation.overall.total + outcome.trainingExamples == corpus.count + 11)
            let stored = try await connection.query("SELECT version, model, held_out, evaluation::text FROM category_models")
            #expect(stored.count == 1)
            let row = try #require(stored.first)
            #expect(try row.decode(Int64.self, at: 0) == outcome.version)
            let again = try CategoryModel(data: try row.decode(Data.self, at: 1))
            #expect(again.predict("gdzie jest moja paczka").first?.category == outcome.model.predict("gdzie jest moja paczka").first?.category)
            let evaluation = try JSONDecoder().decode(CategoryEvaluation.self, from: Data(try row.decode(String.self, at: 3).utf8))
            #expect(evaluation == outcome.evaluation)
            #expect(try row.decode(Int.self, at: 2) == evaluation.overall.total)
        }
    }

    @Test("two retrainings that read the same examples at once store one version: the second finds it current and stores nothing")
    func concurrentRetrainingsStoreOnce() async throws {
        try await TestDatabase.withConnection("category_retrain_race") { connection, schema in
            try await schema.migrate()
            try await connection.execute("DELETE FROM category_examples")
            let categories = ["shipping": "delivery", "billing": "payment"]
            for example in CategoryModelTests.examples {
                let category = categories[example.category] ?? example.category
                try await connection.execute("INSERT INTO category_examples (category, language, text, source) VALUES (\(category), 'en', \(example.text), 'corpus')")
            }
            let pool = PostgresPool(configuration: schema.configuration, options: PostgresPoolOptions(maxConnections: 2))
            var options = CategoryTrainingOptions()
            options.threads = 1
            options.buckets = 20_000
            let training = CategoryTraining(options: options)
            // Both read before either stores, as two workers' jobs do when their ticks overlap.
            let first = try #require(try await CategoryTraining.examplesIfChanged(pool: pool))
            let second = try #require(try await CategoryTraining.examplesIfChanged(pool: pool))
            let stored = try await CategoryTraining.storeUnlessCurrent(try training.train(first), pool: pool)
            #expect(stored != nil)
            #expect(try await CategoryTraining.storeUnlessCurrent(try training.train(second), pool: pool) == nil)
            #expect(try await connection.query("SELECT count(*) FROM category_models").scalar(Int.self) == 1)
            #expect(try await CategoryTraining.examplesIfChanged(pool: pool) == nil, "nothing changed since: the next tick skips before training")
            // A changed example set is a new version.
            try await connection.execute("INSERT INTO category_examples (category, language, text, source) VALUES ('delivery', 'en', 'my parcel is late', 'agent')")
            let changed = try #require(try await training.retrainIfChanged(pool: pool))
            #expect(changed.version.map { $0 > stored! } == true)
            await pool.shutdown()
        }
    }

    @Test("the evaluation counts a guess under the threshold as uncategorised, and reports per language and category")
    func evaluation() {
        let examples: [(language: String, example: CategoryExample)] = [
            ("en", CategoryExample(category: "a", text: "right")),
            ("en", CategoryExample(category: "a", text: "wrong")),
            ("uk", CategoryExample(category: "b", text: "unsure")),
            ("uk", CategoryExample(category: "b", text: "right-b")),
        ]
        let guesses: [String: (category: String, probability: Double)] = [
            "right": ("a", 0.9), "wrong": ("b", 0.8), "unsure": ("b", 0.2), "right-b": ("b", 0.7)]
        let evaluation = CategoryEvaluation(threshold: 0.5, examples: examples, guesses: examples.map { guesses[$0.example.text] })
        #expect(evaluation.overall.correct == 2 && evaluation.overall.total == 4)
        #expect(evaluation.byLanguage["en"]?.accuracy == 0.5 && evaluation.byLanguage["uk"]?.accuracy == 0.5)
        #expect(evaluation.byCategory["a"]?.recall == 0.5 && evaluation.byCategory["a"]?.precision == 1)
        #expect(evaluation.byCategory["b"]?.precision == 0.5 && evaluation.byCategory["b"]?.recall == 0.5)
        #expect(evaluation.confusion["uk"]?["b"]?[CategoryEvaluation.none] == 1)
        #expect(evaluation.report.contains("accuracy  50.0 %"))
        #expect(evaluation.report.contains("confusion, uk"))
    }
}

@Suite("Categories: rules, model, and the two together")
struct CategoryComparisonTests {
    @Test("the comparison scores rules alone, the model alone (under the threshold: uncategorised) and the rules beside the model, then the model")
    func comparison() {
        let examples: [(language: String, example: CategoryExample)] = [
            ("en", CategoryExample(category: "a", text: "1")),
            ("en", CategoryExample(category: "b", text: "2")),
            ("uk", CategoryExample(category: "a", text: "3")),
            ("uk", CategoryExample(category: "b", text: "4")),
        ]
        let guesses: [(category: String, probability: Double)?] = [("a", 0.9), ("a", 0.9), ("a", 0.4), ("b", 0.8)]
        // Without a model a yielding rule says "b" for the first example; beside the model it is silent.
        let comparison = CategoryComparison(threshold: 0.5, examples: examples, guesses: guesses,
                                            rulesWithoutModel: ["b", "b", "a", nil], rulesBesideModel: [nil, "b", "a", nil])
        #expect(comparison.rules.overall.correct == 2 && comparison.rules.byLanguage["en"]?.correct == 1)
        #expect(comparison.model.overall.correct == 2 && comparison.model.byLanguage["uk"]?.correct == 1)
        #expect(comparison.rulesThenModel.overall.correct == 4)
        #expect(comparison.report.count == 4 && comparison.report[3].contains("100.0 %"))
    }
}
