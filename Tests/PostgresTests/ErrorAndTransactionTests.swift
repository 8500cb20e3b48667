import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Server errors and transactions")
struct ErrorAndTransactionTests {
    @Test("a syntax error gives SQLSTATE 42601 with its position")
    func syntaxError() async throws {
        try await TestDatabase.withConnection("syntax") { (connection, _) async throws in
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELEC 1") }
            #expect(error?.sqlState == "42601")
            #expect(error?.kind == .server)
            #expect(error?.severity == "ERROR")
            #expect(error?.position == 1)
            #expect(try await connection.query("SELECT 2").scalar(Int.self) == 2)
        }
    }

    @Test("a unique violation gives 23505 with the constraint and table, and no values in the description")
    func uniqueViolation() async throws {
        try await TestDatabase.withConnection("unique") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE customers (email text CONSTRAINT customers_email_key UNIQUE)")
            try await connection.execute("INSERT INTO customers VALUES (\("ada@example.com"))")
            let error = await #expect(throws: PostgresError.self) { try await connection.execute("INSERT INTO customers VALUES (\("ada@example.com"))") }
            #expect(error?.isUniqueViolation == true)
            #expect(error?.sqlState == "23505")
            #expect(error?.constraint == "customers_email_key")
            #expect(error?.table == "customers")
            #expect(error?.detail?.contains("ada@example.com") == true)
            #expect(error?.description.contains("ada@example.com") == false)
            #expect(error?.description.contains("customers_email_key") == true)
        }
    }

    @Test("invalid input is reported without echoing the value")
    func invalidInputRedacted() async throws {
        try await TestDatabase.withConnection("redact") { (connection, _) async throws in
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT \("secret-card-4111")::int") }
            #expect(error?.sqlState == "22P02")
            #expect(error?.message.contains("secret-card-4111") == true)
            #expect(error?.description.contains("secret-card-4111") == false)
        }
    }

    @Test("serialization failures are recognisable")
    func serializationFailure() async throws {
        let schema = try await TestDatabase.freshSchema("serial")
        let first = try await schema.connect()
        let second = try await schema.connect()
        try await first.execute("CREATE TABLE counters (id int PRIMARY KEY, n int)")
        try await first.execute("INSERT INTO counters VALUES (1, 0)")
        try await first.simpleQuery(unsafeSQL: "BEGIN ISOLATION LEVEL REPEATABLE READ")
        _ = try await first.query("SELECT n FROM counters WHERE id = 1")
        try await second.execute("UPDATE counters SET n = n + 1 WHERE id = 1")
        let error = await #expect(throws: PostgresError.self) { try await first.execute("UPDATE counters SET n = n + 1 WHERE id = 1") }
        #expect(error?.isSerializationFailure == true)
        try await first.simpleQuery(unsafeSQL: "ROLLBACK")
        await first.close()
        await second.close()
        try await schema.drop()
    }

    @Test("transaction commits on return and rolls back on throw; savepoints nest")
    func transactions() async throws {
        struct Abort: Error {}
        try await TestDatabase.withConnection("tx") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE log (entry text)")
            try await connection.transaction { connection in
                try connection.execute("INSERT INTO log VALUES ('outer')")
                // The inner failure undoes only the inner work.
                do {
                    try await connection.transaction { connection in
                        try connection.execute("INSERT INTO log VALUES ('inner, rolled back')")
                        throw Abort()
                    }
                } catch is Abort {}
                try await connection.transaction { try $0.execute("INSERT INTO log VALUES ('inner, kept')") }
            }
            await #expect(throws: Abort.self) {
                try await connection.transaction { connection in
                    try connection.execute("INSERT INTO log VALUES ('rolled back')")
                    throw Abort()
                }
            }
            let entries = try await connection.query("SELECT entry FROM log ORDER BY entry").map { try $0.decode(String.self, at: 0) }
            #expect(entries == ["inner, kept", "outer"])
            #expect(await connection.isInTransaction == false)
        }
    }

    @Test("an isolation level applies to the transaction")
    func isolationLevel() async throws {
        try await TestDatabase.withConnection("iso") { (connection, _) async throws in
            let level = try await connection.transaction(isolation: .serializable) { connection in
                try connection.query("SHOW transaction_isolation").scalar(String.self)
            }
            #expect(level == "serializable")
        }
    }

    @Test("an error inside a transaction rolls everything back and the connection is reusable")
    func serverErrorRollsBack() async throws {
        try await TestDatabase.withConnection("txerr") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE items (id int PRIMARY KEY)")
            await #expect(throws: PostgresError.self) {
                try await connection.transaction { connection in
                    try connection.execute("INSERT INTO items VALUES (1)")
                    try connection.execute("INSERT INTO items VALUES (1)")
                }
            }
            #expect(try await connection.query("SELECT count(*) FROM items").scalar(Int.self) == 0)
        }
    }
}
