import Foundation
import Migrations
import Postgres
import TestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    let first = Migration(version: 1, name: "customers", sql: "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);")
    let second = Migration(version: 2, name: "seed", sql: """
        CREATE TABLE applied_log (note text);
        INSERT INTO applied_log VALUES ('second ran');
        """)

    @Test("migrations apply in order, once, recorded with checksums")
    func appliesInOrder() async throws {
        try await TestDatabase.withConnection("migrate") { (connection, _) async throws in
            // Given out of order on purpose.
            let migrator = Migrator(migrations: [second, first], definitions: [])
            let report = try await migrator.migrate(on: connection)
            #expect(report.applied.map(\.version) == [1, 2])
            let again = try await migrator.migrate(on: connection)
            #expect(again.applied.isEmpty && again.alreadyApplied == 2)
            let applied = try await migrator.applied(on: connection)
            #expect(applied.map(\.name) == ["customers", "seed"])
            #expect(applied.allSatisfy { $0.checksum.count == 64 })
            #expect(try await connection.query("SELECT count(*) FROM applied_log").scalar(Int.self) == 1)
        }
    }

    @Test("an edited, already-applied migration is refused with a clear message")
    func editedMigrationRefused() async throws {
        try await TestDatabase.withConnection("edited") { (connection, _) async throws in
            try await Migrator(migrations: [first], definitions: []).migrate(on: connection)
            let edited = Migration(version: 1, name: "customers", sql: "CREATE TABLE customers (id bigint PRIMARY KEY, email text);")
            let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: [edited, second], definitions: []).migrate(on: connection) }
            #expect(error?.description.contains("0001_customers was edited after it was applied") == true)
            #expect(error?.description.contains("forward-only") == true)
            #expect(error?.code == .editedMigration)
            // Nothing after the refusal ran.
            #expect(try await connection.query("SELECT to_regclass('applied_log') IS NULL").scalar(Bool.self))
        }
    }

    @Test("a failing migration rolls back entirely and names itself and the line")
    func failingMigration() async throws {
        try await TestDatabase.withConnection("failing") { (connection, _) async throws in
            let broken = Migration(version: 3, name: "broken", sql: "CREATE TABLE half_done (id int);\n\nSELEC nonsense;")
            let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: [first, broken], definitions: []).migrate(on: connection) }
            #expect(error?.description.contains("0003_broken failed at line 3") == true)
            #expect(error?.description.contains("42601") == true)
            let halfDoneIsGone = try await connection.query("SELECT to_regclass('half_done') IS NULL").scalar(Bool.self)
            #expect(halfDoneIsGone)
            let applied = try await Migrator(migrations: [first], definitions: []).applied(on: connection).map(\.version)
            #expect(applied == [1])
        }
    }

    @Test("concurrent migrators apply each migration exactly once")
    func concurrentMigrators() async throws {
        let schema = try await TestDatabase.freshSchema("concurrent")
        let slow = Migration(version: 3, name: "slow", sql: "SELECT pg_sleep(0.3); INSERT INTO applied_log VALUES ('third ran');")
        let migrations = [first, second, slow]
        let reports = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let connection = try await schema.connect()
                    let report = try await Migrator(migrations: migrations, definitions: []).migrate(on: connection)
                    await connection.close()
                    return report.applied.count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(reports.reduce(0, +) == 3)
        let connection = try await schema.connect()
        #expect(try await connection.query("SELECT count(*) FROM applied_log").scalar(Int.self) == 2)
        await connection.close()
        try await schema.drop()
    }

    @Test("a database with a migration this build does not know is refused")
    func unknownAppliedMigration() async throws {
        try await TestDatabase.withConnection("newer") { (connection, _) async throws in
            try await Migrator(migrations: [first, second], definitions: []).migrate(on: connection)
            let error = await #expect(throws: MigrationError.self) { try await Migrator(migrations: [first], definitions: []).migrate(on: connection) }
            #expect(error?.description.contains("0002_seed") == true && error?.description.contains("newer switchboard") == true)
        }
    }

    @Test("the migrations built into the binary are well formed and apply cleanly")
    func embeddedMigrations() async throws {
        let versions = Migration.embedded.map(\.version)
        #expect(versions == versions.sorted() && Set(versions).count == versions.count)
        try await TestDatabase.withConnection("embedded") { (connection, _) async throws in
            let report = try await Migrator().migrate(on: connection)
            #expect(report.applied.count == Migration.embedded.count)
        }
    }
}
