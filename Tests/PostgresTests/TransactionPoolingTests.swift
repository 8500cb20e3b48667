import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

/// What a connection promises when it goes through a transaction pooler: nothing it does
/// outlives a transaction. Run here on a direct session, where anything left behind is seen by
/// the same session's next statement (the queue, ingest, routing and notify suites run through
/// a real PgBouncer as well: `deploy/dev test`).
@Suite("Transaction pooling: nothing outlives a transaction")
struct TransactionPoolingTests {
    /// A direct session to a fresh schema, used as if a transaction pooler were in between.
    private static func withPooled(_ label: String, _ body: (PostgresConnection) async throws -> Void) async throws {
        let schema = try await TestDatabase.freshSchema(label)
        let connection = try await PostgresConnection.connect(schema.direct.pooled(.transaction))
        var failure: (any Error)?
        do { try await body(connection) } catch { failure = error }
        await connection.close()
        try await schema.drop()
        if let failure { throw failure }
    }

    private static func setting(_ name: String, on connection: isolated PostgresConnection) throws -> String {
        try connection.simpleQuery(unsafeSQL: "SHOW \(name)").scalar(String.self)
    }

    @Test("statements go unnamed: the session keeps no prepared statement")
    func unnamedStatements() async throws {
        try await Self.withPooled("pool_unnamed") { connection in
            try await connection.run { connection in
                for n in 0..<3 { #expect(try connection.query("SELECT \(n)::int + 1").scalar(Int.self) == n + 1) }
                _ = try connection.pipeline(["SELECT 1", "SELECT \(2)"])
                try await connection.transaction { connection in _ = try connection.query("SELECT \("x")::text") }
                #expect(try connection.simpleQuery(unsafeSQL: "SELECT count(*) FROM pg_prepared_statements").scalar(Int.self) == 0)
            }
        }
    }

    @Test("settings hold in every transaction the connection runs, and not after it")
    func settingsPerTransaction() async throws {
        try await Self.withPooled("pool_settings") { connection in
            try await connection.run { connection in
                try connection.useSettings([("enable_seqscan", "off"), ("jit", "off")])
                // Made at once they would show here: the session is as it was.
                #expect(try Self.setting("enable_seqscan", on: connection) == "on")
                // A statement alone is a transaction with the settings first.
                #expect(try connection.query("SELECT current_setting('enable_seqscan') || current_setting('jit')").scalar(String.self) == "offoff")
                #expect(try Self.setting("enable_seqscan", on: connection) == "on")
                // Each statement of a pipeline too.
                let piped = try connection.pipeline(["SELECT current_setting('enable_seqscan')", "SELECT current_setting('jit')"])
                #expect(try piped.map { try $0.get().scalar(String.self) } == ["off", "off"])
                // A transaction block, however it was begun, and its savepoints.
                let inBlock = try await connection.transaction { connection in
                    let first = try connection.query("SELECT current_setting('enable_seqscan')").scalar(String.self)
                    do {
                        try await connection.transaction { connection in
                            _ = try connection.query("SELECT 1")
                            throw PostgresError(kind: .client, message: "undo the savepoint")
                        }
                    } catch {}
                    return [first, try connection.query("SELECT current_setting('enable_seqscan')").scalar(String.self)]
                }
                #expect(inBlock == ["off", "off"])
                try connection.execute("BEGIN")
                #expect(try connection.query("SELECT current_setting('jit')").scalar(String.self) == "off")
                try connection.execute("COMMIT")
                try connection.simpleQuery(unsafeSQL: "BEGIN")
                #expect(try connection.query("SELECT current_setting('jit')").scalar(String.self) == "off")
                try connection.simpleQuery(unsafeSQL: "ROLLBACK")
                #expect(try Self.setting("enable_seqscan", on: connection) == "on")
                #expect(try Self.setting("jit", on: connection) == "on")
            }
        }
    }

    @Test("LISTEN, a per-connection schema and migrations are refused with what to do instead")
    func sessionFeaturesRefused() async throws {
        let pooled = try PostgresConfiguration(try await TestDatabase.connectionString()).pooled(.transaction)
        do {
            _ = try PostgresListener(configuration: pooled)
            Issue.record("a listener was made through a transaction pooler")
        } catch {
            #expect("\(error)".contains("LISTEN needs a session of its own"))
        }
        do {
            _ = try pooled.withSearchPath("elsewhere")
            Issue.record("a schema was chosen per connection through a transaction pooler")
        } catch {
            #expect("\(error)".contains("connect_query"))
        }
        let connection = try await PostgresConnection.connect(pooled)
        do {
            try await Migrator().migrate(on: connection)
            Issue.record("migrations ran through a transaction pooler")
        } catch let error as MigrationError {
            #expect(error.code == .needsOwnSession)
            #expect(error.description.contains("direct connection"))
        }
        await connection.close()
    }
}
