import Categories
import Foundation
import Ingest
import Postgres
import Routing
import Testing
import TestSupport

@Suite("Categories: the rules first, then the model when it is sure enough")
struct CategoryModelIngestTests {
    /// A small corpus the rules of these tests do not cover.
    static let corpus: [(String, String)] = [
        ("delivery", "where is my parcel it has not arrived yet"), ("delivery", "my order still has not been delivered"),
        ("delivery", "when will the package arrive"), ("delivery", "the courier did not deliver my parcel today"),
        ("delivery", "де моя посилка вона досі не прийшла"), ("delivery", "замовлення ще не доставили"),
        ("returns", "i want to return the shoes they are too small"), ("returns", "how do i send back an item for a refund"),
        ("returns", "please take back the damaged chair and refund me"), ("returns", "хочу повернути товар він не підійшов"),
        ("payment", "i was charged twice for the same order"), ("payment", "my card payment failed but money was taken"),
        ("payment", "з картки списали гроші двічі"), ("payment", "оплата не пройшла але гроші зняли"),
    ]

    /// Only one rule of our own, so that what the rules miss is known; the corpus above instead
    /// of the starting one.
    static func prepare(_ fixture: IngestFixture) async throws -> Int64 {
        try await fixture.connection.execute("UPDATE category_rules SET enabled = false")
        try await fixture.connection.execute("DELETE FROM category_examples")
        for (category, text) in corpus {
            try await fixture.connection.execute("INSERT INTO category_examples (category, language, text, source) VALUES (\(category), 'en', \(text), 'corpus')")
        }
        return try await fixture.connection.query("""
            INSERT INTO category_rules (category, language, pattern, weight) VALUES ('payment', '*', 'invoice', 1) RETURNING id
            """).scalar(Int64.self)
    }

    static func train(_ fixture: IngestFixture) async throws -> Int64 {
        var options = CategoryTrainingOptions()
        options.threads = 1
        options.buckets = 10_000
        let training = CategoryTraining(options: options)
        let outcome = try await fixture.connection.run { connection in try training.run(store: true, on: connection) }
        return try #require(outcome.version)
    }

    struct Decision: Equatable {
        var category: String?
        var by: String?
        var rules: String?
        var version: Int64?
        var probability: Double?
    }

    static func decision(_ conversation: Int64, _ fixture: IngestFixture) async throws -> Decision {
        let row = try #require(try await fixture.connection.query("""
            SELECT category, category_decided_by, category_rule_ids::text, category_model_version, category_probability
              FROM conversations WHERE id = \(conversation)
            """).first)
        return Decision(category: try row.decode(String?.self, at: 0), by: try row.decode(String?.self, at: 1),
                        rules: try row.decode(String?.self, at: 2), version: try row.decode(Int64?.self, at: 3),
                        probability: try row.decode(Double?.self, at: 4))
    }

    @Test("a matching rule decides and says which; else the model's guess when it clears the store's threshold, recorded with its version and probability; else none")
    func rulesThenModel() async throws {
        try await IngestFixture.with("category_model") { fixture in
            let rule = try await Self.prepare(fixture)
            let version = try await Self.train(fixture)
            let ingestor = InboundIngestor(categories: CategoryModelCache(checkInterval: .zero))
            func receive(_ phone: String, _ text: String) async throws -> Int64 {
                let id = try await fixture.insert("sms", json: ["from": phone, "text": text])
                return try await fixture.connection.run { connection in try await ingestor.ingest(id, on: connection) }.placed.conversationID
            }
            try await fixture.connection.execute("UPDATE stores SET category_model_threshold = 0.3")

            let byRule = try await Self.decision(try await receive("+380671110001", "Please send the invoice, my parcel has not arrived"), fixture)
            #expect(byRule == Decision(category: "payment", by: "rules", rules: "{\(rule)}", version: nil, probability: nil))

            let guessed = try await receive("+380671110002", "My parcel has not arrived yet, where is it?")
            let byModel = try await Self.decision(guessed, fixture)
            #expect(byModel.category == "delivery" && byModel.by == "model" && byModel.version == version && byModel.rules == nil)
            #expect((0.3...1).contains(byModel.probability ?? 0), "\(byModel)")
            let explanation = try await fixture.connection.run { try RoutingExplanation.load(guessed, on: $0) }
            #expect(explanation?.text.contains("category delivery (by model version \(version), probability") == true, "\(explanation?.text ?? "")")

            // Better unsure than wrong: under the threshold the conversation stays uncategorised.
            try await fixture.connection.execute("UPDATE stores SET category_model_threshold = 1")
            let unsure = try await Self.decision(try await receive("+380671110003", "My parcel has not arrived yet, where is it?"), fixture)
            #expect(unsure == Decision(category: nil, by: nil, rules: nil, version: nil, probability: nil))

            // An agent's correction says so, and clears the model's record.
            try await fixture.connection.execute("SELECT set_conversation_category(\(guessed), 'returns')")
            #expect(try await Self.decision(guessed, fixture) == Decision(category: "returns", by: "agent", rules: nil, version: nil, probability: nil))
        }
    }

    @Test("a running ingestor picks up a new model version; a version that cannot be read is skipped with a warning, never failing a message")
    func newVersions() async throws {
        try await IngestFixture.with("category_versions") { fixture in
            _ = try await Self.prepare(fixture)
            try await fixture.connection.execute("UPDATE stores SET category_model_threshold = 0.2")
            let ingestor = InboundIngestor(categories: CategoryModelCache(checkInterval: .zero))
            var phone = 380_672_220_000
            func receive() async throws -> Decision {
                phone += 1
                let id = try await fixture.insert("sms", json: ["from": "+\(phone)", "text": "I was charged twice, the card payment failed"])
                let conversation = try await fixture.connection.run { connection in try await ingestor.ingest(id, on: connection) }.placed.conversationID
                return try await Self.decision(conversation, fixture)
            }
            // No model yet: the rules alone, which miss this message.
            #expect(try await receive().category == nil)
            let first = try await Self.train(fixture)
            #expect(try await receive().version == first)
            // A damaged version: the worker keeps the model it has.
            let damaged = try await fixture.connection.query("""
                INSERT INTO category_models (model, examples, held_out, training_seconds) VALUES ('\\x00ff'::bytea, 0, 0, 0) RETURNING version
                """).scalar(Int64.self)
            let afterDamage = try await receive()
            #expect(afterDamage.version == first && afterDamage.by == "model", "version \(damaged) was skipped: \(afterDamage)")
            let second = try await Self.train(fixture)
            #expect(try await receive().version == second)
        }
    }
}

@Suite("Categories: rules that yield to the model")
struct CategoryRulesYieldTests {
    @Test("a rule that yields to the model decides while no model exists, and steps aside once one does; a rule that does not yield still wins")
    func yieldingRules() async throws {
        try await IngestFixture.with("category_yield") { fixture in
            let invoice = try await CategoryModelIngestTests.prepare(fixture)
            let parcel = try await fixture.connection.query("""
                INSERT INTO category_rules (category, language, pattern, weight, yields_to_model) VALUES ('returns', '*', 'parcel', 1, true) RETURNING id
                """).scalar(Int64.self)
            try await fixture.connection.execute("UPDATE stores SET category_model_threshold = 0.3")
            let ingestor = InboundIngestor(categories: CategoryModelCache(checkInterval: .zero))
            var phone = 380_674_440_000
            func receive(_ text: String) async throws -> CategoryModelIngestTests.Decision {
                phone += 1
                let id = try await fixture.insert("sms", json: ["from": "+\(phone)", "text": text])
                let conversation = try await fixture.connection.run { connection in try await ingestor.ingest(id, on: connection) }.placed.conversationID
                return try await CategoryModelIngestTests.decision(conversation, fixture)
            }
            let withoutModel = try await receive("My parcel has not arrived yet, where is it?")
            #expect(withoutModel == .init(category: "returns", by: "rules", rules: "{\(parcel)}", version: nil, probability: nil))

            let version = try await CategoryModelIngestTests.train(fixture)
            let besideModel = try await receive("My parcel has not arrived yet, where is it?")
            #expect(besideModel.category == "delivery" && besideModel.by == "model" && besideModel.version == version, "\(besideModel)")
            let overridden = try await receive("Please send the invoice, my parcel has not arrived")
            #expect(overridden == .init(category: "payment", by: "rules", rules: "{\(invoice)}", version: nil, probability: nil))
        }
    }
}
