import Foundation
import Helpdesk
import Ingest
import Migrations
import Postgres
import Testing
import TestSupport

/// A fresh migrated schema, with helpers to insert inbound rows as an integration would and to
/// ingest them the way the worker does.
struct IngestFixture {
    let schema: TestSchema
    let connection: PostgresConnection
    let ingestor = InboundIngestor()
    let applier = OrderEventApplier()

    static func with(_ label: String, _ body: (IngestFixture) async throws -> Void) async throws {
        let schema = try await TestDatabase.freshSchema(label)
        let connection = try await schema.connect()
        var failure: (any Error)?
        do {
            try await schema.migrate()
            try await body(IngestFixture(schema: schema, connection: connection))
        } catch { failure = error }
        await connection.close()
        try await schema.drop()
        if let failure { throw failure }
    }

    /// Inserts one inbound row and returns its id.
    @discardableResult
    func insert(_ channel: String?, _ payload: Data?, externalID: String? = nil, store: String? = nil) async throws -> Int64 {
        try await connection.query("""
            INSERT INTO inbound_messages (store, channel, external_id, payload)
            VALUES (\(store), \(channel), \(externalID), \(payload)) RETURNING id
            """).scalar(Int64.self)
    }

    func insert(_ channel: String, json: [String: Any], externalID: String? = nil) async throws -> Int64 {
        try await insert(channel, try JSONSerialization.data(withJSONObject: json), externalID: externalID)
    }

    func ingest(_ id: Int64) async throws -> IngestOutcome {
        try await connection.run { connection in try await ingestor.ingest(id, on: connection) }
    }

    /// Inserts and ingests; returns the outcome.
    func receive(_ channel: String, json: [String: Any], externalID: String? = nil) async throws -> IngestOutcome {
        try await ingest(try await insert(channel, json: json, externalID: externalID))
    }

    func receiveEmail(_ raw: String, externalID: String? = nil) async throws -> IngestOutcome {
        try await ingest(try await insert("email", Data(raw.replacingOccurrences(of: "\n", with: "\r\n").utf8), externalID: externalID))
    }

    /// Inserts an order event and applies it.
    @discardableResult
    func orderEvent(_ number: String?, _ kind: String?, _ payload: [String: Any], occurredAt: String? = nil) async throws -> OrderEventOutcome {
        let json = String(decoding: try JSONSerialization.data(withJSONObject: payload), as: UTF8.self)
        let id = try await connection.query("""
            INSERT INTO order_events (order_number, kind, payload, occurred_at)
            VALUES (\(number), \(kind), \(json)::jsonb, coalesce(\(occurredAt)::timestamptz, now())) RETURNING id
            """).scalar(Int64.self)
        return try await connection.run { connection in try await applier.apply(id, on: connection) }
    }

    func int(_ sql: String) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: sql)).scalar(Int.self)
    }

    func text(_ sql: String) async throws -> String? {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql))
        return try rows.first?.decode(String?.self, at: 0)
    }

    func conversation(_ id: Int64) async throws -> ConversationRow {
        let row = try #require(try await connection.query("""
            SELECT customer_id, channel, status, language, category, priority, priority_hints::text, order_id,
                   reopen_count, message_count, auto_answered_intent
              FROM conversations WHERE id = \(id)
            """).first)
        return ConversationRow(
            customerID: try row.decode(Int64.self, at: 0), channel: try row.decode(String.self, at: 1),
            status: try row.decode(String.self, at: 2), language: try row.decode(String.self, at: 3),
            category: try row.decode(String?.self, at: 4), priority: try row.decode(Int.self, at: 5),
            hints: try row.decode(String.self, at: 6), orderID: try row.decode(Int64?.self, at: 7),
            reopenCount: try row.decode(Int.self, at: 8), messageCount: try row.decode(Int.self, at: 9),
            autoAnswered: try row.decode(String?.self, at: 10))
    }

    /// Route jobs waiting for this conversation.
    func routeJobs(_ conversationID: Int64) async throws -> Int {
        try await connection.query("""
            SELECT count(*) FROM jobs WHERE kind = 'route' AND (args->>'conversation_id')::bigint = \(conversationID)
            """).scalar(Int.self)
    }
}

struct ConversationRow {
    let customerID: Int64
    let channel: String
    let status: String
    let language: String
    let category: String?
    let priority: Int
    let hints: String
    let orderID: Int64?
    let reopenCount: Int
    let messageCount: Int
    let autoAnswered: String?
}

extension IngestOutcome {
    /// The conversation a customer message landed in, or a test failure.
    var placed: ConversationOutcome {
        get throws {
            guard case .conversation(let outcome) = self else {
                throw Unexpected("expected a conversation, got \(self)")
            }
            return outcome
        }
    }
}

struct Unexpected: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
