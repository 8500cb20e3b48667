import Postgres
import Testing
import TestSupport

struct AutoAnswerPlanTests {
    /// PL/pgSQL keeps the plan it settles on for the life of the session. Made while the tables
    /// were small (a new deployment), a plan that reads them whole goes on doing so once they
    /// have grown: recording a batch's answers then read every conversation.
    @Test("after many calls on small tables, recording automatic answers reads the conversations it answers, not the whole table")
    func recordingReadsWhatItAnswers() async throws {
        try await IngestFixture.with("answer_plan") { fixture in
            // Without 0007's setting this scanned all 6,203 conversations.
            let read = try await fixture.connection.run { connection in
                let early = try Self.questions(1_200, on: connection)
                for batch in stride(from: 0, to: early.count, by: 100) {
                    try Self.answer(Array(early[batch ..< batch + 100]), on: connection)
                }
                _ = try Self.questions(5_000, on: connection)
                let late = try Self.questions(3, on: connection)
                return try await rowsRead(of: "conversations", on: connection) { try Self.answer(late, on: $0) }
            }
            // Scans of the table count here; lookups by key count on its indexes.
            #expect(read < 100, "scanned \(read) rows of conversations (6,203 stored, 3 answered)")
        }
    }

    /// `count` new conversations of as many customers, each with the customer's first message;
    /// returns the messages' ids.
    private static func questions(_ count: Int, on connection: isolated PostgresConnection) throws -> [Int64] {
        try connection.query("""
            WITH cu AS (INSERT INTO customers (store_id) SELECT 1 FROM generate_series(1, \(count)) RETURNING id),
                 c AS (INSERT INTO conversations (store_id, customer_id, channel, language, subject)
                       SELECT 1, id, 'chat', 'en', 'Where is my order?' FROM cu RETURNING id)
            INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text)
            SELECT 1, id, 'inbound', 'customer', 'chat', 'Where is my order?' FROM c
            RETURNING id
            """).map { try $0.decode(Int64.self, at: 0) }
    }

    private static func answer(_ questions: [Int64], on connection: isolated PostgresConnection) throws {
        let intents = questions.map { _ in "where_is_my_order" }, locales = questions.map { _ in "en" }
        let bodies = questions.map { "Your order is on its way (\($0))." }
        try connection.query("SELECT record_auto_answers(\(questions), \(intents), \(locales), \(bodies))")
    }
}
