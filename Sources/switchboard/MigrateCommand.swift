import ArgumentParser
import Migrations
import Postgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations (sql/migrations, built into this binary).",
        discussion: "Each migration runs in its own transaction; concurrent runs wait for each other. An applied migration that was edited since is refused."
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Only list the migrations and whether each is applied.")
    var status = false

    func run() async throws {
        let configuration = try database.resolve()
        let connection = try await PostgresConnection.connect(configuration)
        defer { Task { await connection.close() } }
        if let schema = database.effectiveSchema, !status {
            try await connection.execute("CREATE SCHEMA IF NOT EXISTS \(identifier: schema)")
        }
        let migrator = Migrator()
        if status {
            let applied = Dictionary(uniqueKeysWithValues: try await migrator.applied(on: connection).map { ($0.version, $0) })
            for migration in migrator.migrations {
                let state = applied[migration.version].map { "applied \($0.appliedAt)" } ?? "pending"
                print("\(migration.id)  \(state)")
            }
            if migrator.migrations.isEmpty { print("no migrations in this build") }
            return
        }
        let report = try await migrator.migrate(on: connection)
        for migration in report.applied { print("applied \(migration.id)") }
        print("\(report.applied.count) applied, \(report.alreadyApplied) already in place (\(configuration.target))")
    }
}
