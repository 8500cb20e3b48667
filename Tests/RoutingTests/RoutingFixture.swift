import Foundation
import Helpdesk
import Migrations
import Postgres
import Routing
import Testing
import TestSupport

/// A fresh migrated schema with helpers to set up teams, agents and conversations the way an
/// admin and the ingest worker would, and to route them the way the routing worker does.
struct RoutingFixture {
    let schema: TestSchema
    let connection: PostgresConnection
    let router = Router()

    static func with(_ label: String, _ body: (RoutingFixture) async throws -> Void) async throws {
        let schema = try await TestDatabase.freshSchema(label)
        let connection = try await schema.connect()
        var failure: (any Error)?
        do {
            try await schema.migrate()
            try await body(RoutingFixture(schema: schema, connection: connection))
        } catch { failure = error }
        await connection.close()
        try await schema.drop()
        if let failure { throw failure }
    }

    @discardableResult
    func team(_ name: String, strategy: String = "round_robin") async throws -> Int64 {
        try await connection.query("INSERT INTO teams (name, default_strategy) VALUES (\(name), \(strategy)) RETURNING id").scalar(Int64.self)
    }

    var generalTeam: Int64 {
        get async throws { try await connection.query("SELECT id FROM teams WHERE name = 'General'").scalar(Int64.self) }
    }

    /// An agent in `teams` (General when empty) with capacity per channel and skills.
    @discardableResult
    func agent(_ name: String, status: String = "online", teams: [Int64] = [], capacity: [String: Int] = ["chat": 3, "email": 12],
               languages: [String: Int] = ["en": 3], categories: [String: Int] = [:]) async throws -> Int64 {
        let teamNames = teams.isEmpty ? ["General"] : try await connection.query("""
            SELECT name FROM teams t JOIN unnest(\(teams)::bigint[]) WITH ORDINALITY AS x(id, n) ON x.id = t.id ORDER BY x.n
            """).map { try $0.decode(String.self, at: 0) }
        let setup = AgentSetup(name, email: name.lowercased() + "@shop.test", status: try #require(AgentStatus(rawValue: status)),
                               teams: teamNames,
                               capacity: Dictionary(uniqueKeysWithValues: try capacity.map { (try #require(Channel(rawValue: $0.key)), $0.value) }),
                               languages: languages, categories: categories)
        return try await connection.run { connection in try RoutingSetup.add(agents: [setup], on: connection)[0] }
    }

    @discardableResult
    func customer(tier: String = "standard") async throws -> Int64 {
        try await connection.query("INSERT INTO customers (store_id, tier) SELECT id, \(tier) FROM stores WHERE is_default RETURNING id").scalar(Int64.self)
    }

    /// An open conversation as ingest leaves it, with one inbound message, and its route job.
    @discardableResult
    func conversation(channel: String = "chat", language: String = "en", category: String? = nil, priority: Int = 3,
                      customer: Int64? = nil, text: String = "Hello", orderTotal: Double? = nil) async throws -> Int64 {
        let customerID: Int64
        if let customer { customerID = customer } else { customerID = try await self.customer() }
        var orderID: Int64?
        if let orderTotal {
            orderID = try await connection.query("""
                INSERT INTO orders (store_id, customer_id, number, total) SELECT store_id, id, 'N' || id || '-' || \(Int.random(in: 0...999_999)), \(orderTotal)::numeric
                  FROM customers WHERE id = \(customerID) RETURNING id
                """).scalar(Int64.self)
        }
        let id = try await connection.query("""
            INSERT INTO conversations (store_id, customer_id, channel, language, category, priority, order_id, subject)
            SELECT store_id, id, \(channel), \(language), \(category), \(priority)::smallint, \(orderID), 'Question'
              FROM customers WHERE id = \(customerID) RETURNING id
            """).scalar(Int64.self)
        try await connection.execute("""
            INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text)
            SELECT store_id, id, 'inbound', 'customer', channel, \(text) FROM conversations WHERE id = \(id)
            """)
        try await connection.execute("SELECT request_route(\(id))")
        return id
    }

    func route(_ id: Int64) async throws -> RoutingDecision? {
        try await connection.run { [router] connection in try await router.route(id, on: connection) }
    }

    func agentOf(_ conversation: Int64) async throws -> Int64? {
        try await connection.query("SELECT agent_id FROM conversations WHERE id = \(conversation)").first?.decode(Int64?.self, at: 0)
    }

    func int(_ sql: String) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: sql)).scalar(Int.self)
    }

    func text(_ sql: String) async throws -> String? {
        try await connection.query(PostgresQuery(unsafeSQL: sql)).first?.decode(String?.self, at: 0)
    }

    /// Runs SQL text, several statements allowed.
    func execute(_ sql: String) async throws {
        _ = try await connection.simpleQuery(unsafeSQL: sql)
    }

    /// Runs `sql` and expects the database to refuse it with a message containing `message`.
    func expectRefused(_ sql: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await connection.execute(PostgresQuery(unsafeSQL: sql))
            Issue.record("accepted: \(sql)", sourceLocation: sourceLocation)
        } catch let error as PostgresError {
            let text = error.message + " " + (error.detail ?? "")
            #expect(text.contains(message), "\(sql): \(text)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(sql): \(error)", sourceLocation: sourceLocation)
        }
    }
}
