import Foundation
import PackagePlugin

/// Embeds every `sql/migrations/NNNN_name.sql` file and every `sql/definitions/*.sql` file (in the
/// order `sql/definitions/ORDER` declares) into the `Migrations` module as Swift source, so the
/// `switchboard` binary migrates from any directory and inside a container without shipping a
/// resource bundle beside it.
@main
struct EmbedMigrationsPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let migrations = context.package.directoryURL.appending(path: "sql/migrations")
        let definitions = context.package.directoryURL.appending(path: "sql/definitions")
        let migrationFiles = sqlFiles(in: migrations)
        let definitionFiles = sqlFiles(in: definitions) + [definitions.appending(path: "ORDER")]
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(migrationFiles.count) SQL migrations and \(definitionFiles.count - 1) definitions files",
                executable: try context.tool(named: "MigrationEmbedder").url,
                arguments: [output.path(), migrations.path(), definitions.path()] + migrationFiles.map { $0.path() },
                inputFiles: migrationFiles + definitionFiles,
                outputFiles: [output]
            )
        ]
    }

    private func sqlFiles(in directory: URL) -> [URL] {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "sql" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}
