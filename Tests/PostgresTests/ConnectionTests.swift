import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Connecting")
struct ConnectionTests {
    @Test("a malformed URL is refused with libpq's reason")
    func malformedURL() async throws {
        let error = try #require(throws: PostgresError.self) { try PostgresConfiguration("postgresql://user:secret@host/db?nosuchoption=1") }
        #expect(error.kind == .connection)
        #expect(error.description.contains("malformed connection URL"))
        #expect(error.description.contains("nosuchoption"))
        #expect(!error.description.contains("secret"))
        let encoding = try #require(throws: PostgresError.self) { try PostgresConfiguration("postgresql://user:secret@host/d%zzb") }
        #expect(encoding.description.contains("percent-encoded"))
    }

    @Test("a malformed conninfo string is refused")
    func malformedConninfo() throws {
        let error = try #require(throws: PostgresError.self) { try PostgresConfiguration("host=/tmp nonsense_keyword=1") }
        #expect(error.description.contains("nonsense_keyword"))
    }

    @Test("a wrong password names the target and libpq's reason, never the password")
    func wrongPassword() async throws {
        let schema = try await TestDatabase.freshSchema("pw")
        let admin = try await PostgresConnection.connect(schema.base)
        let role = "role_\(schema.name)"
        try await admin.simpleQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN PASSWORD 'right-password'")
        let target = try await TestDatabase.connectionString()
            .replacingOccurrences(of: "user='switchboard'", with: "user='\(role)' password='wrong-password'")
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(try PostgresConfiguration(target)) }
        #expect(error?.kind == .connection)
        #expect(error?.description.contains("password authentication failed") == true)
        #expect(error?.description.contains("user=\(role)") == true)
        #expect(error?.description.contains("wrong-password") == false)
        // And the right password works.
        let good = target.replacingOccurrences(of: "wrong-password", with: "right-password")
        let connection = try await PostgresConnection.connect(try PostgresConfiguration(good))
        #expect(try await connection.query("SELECT current_user").scalar(String.self) == role)
        await connection.close()
        try await admin.simpleQuery(unsafeSQL: "DROP ROLE \(role)")
        try await schema.drop()
    }

    @Test("a server that is not there gives a connection error naming the socket")
    func serverDown() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "no-server-\(UUID().uuidString.prefix(6))").path
        let configuration = try PostgresConfiguration("host=\(directory) port=5432 dbname=x user=y", connectTimeoutSeconds: 2)
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(configuration) }
        #expect(error?.isConnectionFailure == true)
        #expect(error?.description.contains(directory) == true)
    }

    @Test("an unknown database is named in the error")
    func unknownDatabase() async throws {
        let base = try await TestDatabase.connectionString()
        let target = base.replacingOccurrences(of: "dbname='switchboard'", with: "dbname='no_such_db'")
        let error = await #expect(throws: PostgresError.self) { try await PostgresConnection.connect(try PostgresConfiguration(target)) }
        #expect(error?.description.contains("database \"no_such_db\" does not exist") == true)
    }

    @Test("close finishes the session; later calls fail cleanly")
    func closeIsFinal() async throws {
        let schema = try await TestDatabase.freshSchema("close")
        let connection = try await schema.connect()
        await connection.close()
        #expect(connection.isBroken)
        let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT 1") }
        #expect(error?.kind == .connection)
        await connection.close()  // twice is harmless
        try await schema.drop()
    }
}
