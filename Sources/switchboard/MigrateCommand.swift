import CommandSupport
import ArgumentParser
import Migrations
import Postgres

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending migrations and changed definitions (sql/migrations and sql/definitions, built into this binary).",
        discussion: "Each migration runs in its own transaction; concurrent runs wait for each other. An applied migration that was edited since is refused. Then every definitions file (functions, triggers, views) whose text changed is applied again, all in one transaction, in the order sql/definitions/ORDER declares."
    )

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Only list the migrations and definitions files and whether each is applied as this build has it.")
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
            let status = try await migrator.status(on: connection)
            var table = TextTable(header: ["", "file", "state"], rows: [])
            for (migration, state) in status.migrations {
                table.rows.append(["migration", "sql/migrations/\(migration.id).sql", Self.describe(state, migration: true)])
            }
            for (definition, state) in status.definitions {
                table.rows.append(["definitions", "sql/definitions/\(definition.fileName)", Self.describe(state, migration: false)])
            }
            print(table.render())
            return
        }
        let report = try await migrator.migrate(on: connection)
        for migration in report.applied { print("applied sql/migrations/\(migration.id).sql") }
        for definition in report.definitionsApplied { print("applied sql/definitions/\(definition.fileName)") }
        print("migrations: \(report.applied.count) applied, \(report.alreadyApplied) already in place; definitions: \(report.definitionsApplied.count) applied, \(report.definitionsUnchanged) unchanged (\(configuration.target))")
    }

    private static func describe(_ state: MigrationStatus.State, migration: Bool) -> String {
        switch state {
        case .pending: return "pending"
        case .applied(let at): return "applied \(at)"
        case .appliedOtherText(let at):
            return migration ? "applied \(at) from an earlier text this build declares" : "changed since applied \(at): migrate re-applies it"
        }
    }
}
