import ArgumentParser
import EmbeddedPostgres
import Foundation
import Postgres

/// Where the database is: `DATABASE_URL`, or the embedded cluster in `SWITCHBOARD_DATA_DIR`.
/// The environment is read here, in the executable, and nowhere in the libraries.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp("PostgreSQL URL or conninfo (default: $DATABASE_URL, else the embedded cluster).", valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Embedded cluster directory (default: $SWITCHBOARD_DATA_DIR, else ./.switchboard).", valueName: "path"))
    var dataDirectory: String?

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    var explicitURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        return nil
    }

    var embedded: EmbeddedPostgres {
        let path = dataDirectory ?? environment["SWITCHBOARD_DATA_DIR"] ?? ".switchboard"
        return EmbeddedPostgres(directory: URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)))
    }

    /// The configuration to connect with, starting the embedded cluster when there is no URL.
    func resolve(announce: Bool = false) throws -> PostgresConfiguration {
        if let url = explicitURL { return try PostgresConfiguration(url) }
        let cluster = embedded
        let started = try cluster.start()
        if announce {
            print(started ? "Started the embedded PostgreSQL in \(cluster.directory.path)" : "Using the embedded PostgreSQL in \(cluster.directory.path)")
        }
        return try PostgresConfiguration(cluster.connectionString)
    }
}
