public import ArgumentParser
public import EmbeddedPostgres
import Foundation
import Migrations
public import Postgres

/// Where the database is: `DATABASE_URL`, or the embedded cluster in `SWITCHBOARD_DATA_DIR`.
/// The environment is read here, in the executable, and nowhere in the libraries.
public struct DatabaseOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .customLong("database-url"), help: ArgumentHelp("PostgreSQL URL or conninfo (default: $DATABASE_URL, else the embedded cluster).", valueName: "url"))
    public var databaseURL: String?

    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Embedded cluster directory (default: $SWITCHBOARD_DATA_DIR, else ./.switchboard).", valueName: "path"))
    public var dataDirectory: String?

    @Option(name: .customLong("schema"), help: ArgumentHelp("Schema to work in (default: $SWITCHBOARD_SCHEMA, else the server's search path).", valueName: "name"))
    public var schema: String?

    @Flag(name: .customLong("transaction-pooling"), help: ArgumentHelp("The URL reaches PostgreSQL through a pooler in transaction mode, such as PgBouncer's pool_mode = transaction (default: $SWITCHBOARD_TRANSACTION_POOLING=1): no prepared statement, setting or LISTEN outlives a transaction, and nothing is migrated."))
    public var transactionPooling = false

    public var environment: [String: String] { ProcessInfo.processInfo.environment }

    /// How sessions reach the server: `--transaction-pooling` or `SWITCHBOARD_TRANSACTION_POOLING`.
    public var pooling: PostgresPooling {
        if transactionPooling { return .transaction }
        let value = environment["SWITCHBOARD_TRANSACTION_POOLING"]?.lowercased() ?? ""
        return ["1", "true", "yes", "on"].contains(value) ? .transaction : .session
    }

    public var explicitURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        return nil
    }

    public var embedded: EmbeddedPostgres {
        let path = dataDirectory ?? environment["SWITCHBOARD_DATA_DIR"] ?? ".switchboard"
        return EmbeddedPostgres(directory: URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)))
    }

    /// The schema named by `--schema` or `SWITCHBOARD_SCHEMA`, if any.
    public var effectiveSchema: String? {
        guard let schema = schema ?? environment["SWITCHBOARD_SCHEMA"], !schema.isEmpty else { return nil }
        return schema
    }

    /// Connects and brings the schema up to date (creating the schema named by `--schema` if
    /// missing). Concurrent callers wait for each other. Through a transaction pooler it only
    /// connects: migrations need a direct connection (`switchboard migrate`).
    public func connectMigrated(_ configuration: PostgresConfiguration) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(configuration)
        guard configuration.pooling == .session else { return connection }
        do {
            if let schema = effectiveSchema { try await connection.execute("CREATE SCHEMA IF NOT EXISTS \(identifier: schema)") }
            try await Migrator().migrate(on: connection)
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// The configuration to connect with, starting the embedded cluster when there is no URL.
    public func resolve(announce: Bool = false) throws -> PostgresConfiguration {
        let configuration = try resolveServer(announce: announce)
        guard let schema = effectiveSchema else { return configuration }
        return try configuration.withSearchPath(schema)
    }

    /// The server to connect to, ignoring `--schema`.
    public func resolveServer(announce: Bool = false) throws -> PostgresConfiguration {
        if let url = explicitURL { return try PostgresConfiguration(url).pooled(pooling) }
        if pooling == .transaction {
            throw CommandFailure("--transaction-pooling needs the pooler's URL in --database-url or DATABASE_URL; the embedded PostgreSQL has no pooler")
        }
        let cluster = embedded
        let started = try cluster.start()
        if announce {
            print(started ? "Started the embedded PostgreSQL in \(cluster.directory.path)" : "Using the embedded PostgreSQL in \(cluster.directory.path)")
        }
        return try PostgresConfiguration(cluster.connectionString)
    }
}

/// A failure a command reports in its own words.
public struct CommandFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
