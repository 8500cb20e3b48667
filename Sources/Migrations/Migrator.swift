public import Logging
public import Postgres
public import Foundation

/// One forward-only schema change: `sql/migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// `0003_routing_rules`.
    public var id: String { String(repeating: "0", count: max(0, 4 - String(version).count)) + "\(version)_\(name)" }
}

/// A migration recorded as applied.
public struct AppliedMigration: Sendable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// Why migrating stopped.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What ``Migrator/migrate(on:)`` did.
public struct MigrationReport: Sendable {
    /// Migrations applied by this run, in order.
    public var applied: [Migration] = []
    /// Migrations that were already in place.
    public var alreadyApplied = 0
}

/// Applies migrations in version order, each in its own transaction, recording each with a
/// SHA-256 checksum in `switchboard_migrations` (in the first schema of the search path).
///
/// Concurrent migrators wait for each other on a session advisory lock, so exactly one applies
/// each migration. An applied migration whose text has changed since is refused: migrations are
/// forward-only, and a change goes into a new file.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    public let logger: Logger

    public init(migrations: [Migration] = Migration.embedded, logger: Logger = Logger(label: "switchboard.migrate")) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Brings the schema up to date. The connection is used exclusively until this returns.
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> MigrationReport {
        try checkVersionsAreUnique()
        let migrations = self.migrations
        let logger = self.logger
        return try await connection.run { connection in
            try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey), hashtext(coalesce(current_schema(), '')))")
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey), hashtext(coalesce(current_schema(), '')))") }
            try connection.simpleQuery(unsafeSQL: Self.createLedger)
            let applied = try Self.appliedMigrations(connection)
            let checksums = try Self.checksums(of: migrations, connection)
            var report = MigrationReport()
            let known = Set(migrations.map(\.version))
            if let unknown = applied.values.filter({ !known.contains($0.version) }).min(by: { $0.version < $1.version }) {
                throw MigrationError("the database has migration \(Migration(version: unknown.version, name: unknown.name, sql: "").id) that this build of switchboard does not know: run a newer switchboard")
            }
            for migration in migrations {
                let checksum = checksums[migration.version]!
                if let done = applied[migration.version] {
                    guard done.checksum == checksum else {
                        throw MigrationError("migration \(migration.id) was edited after it was applied (checksum in the database \(done.checksum.prefix(12))…, in this build \(checksum.prefix(12))…); migrations are forward-only: restore the applied text and put the change in a new migration")
                    }
                    report.alreadyApplied += 1
                    continue
                }
                let started = ContinuousClock.now
                do {
                    try await connection.transaction { connection in
                        try connection.simpleQuery(unsafeSQL: migration.sql)
                        try connection.execute("""
                            INSERT INTO switchboard_migrations (version, name, checksum, duration_ms)
                            VALUES (\(migration.version), \(migration.name), \(checksum), \(Int((ContinuousClock.now - started) / .milliseconds(1))))
                            """)
                    }
                } catch let error as PostgresError {
                    throw MigrationError("migration \(migration.id) failed\(Self.lineDescription(of: error, in: migration.sql)): \(error)")
                }
                logger.info("applied migration", metadata: ["migration": "\(migration.id)"])
                report.applied.append(migration)
            }
            return report
        }
    }

    /// What the database has applied, by version.
    public func applied(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        try await connection.run { connection in
            let exists = try connection.query("SELECT to_regclass('switchboard_migrations') IS NOT NULL").scalar(Bool.self)
            guard exists else { return [] }
            return try Self.appliedMigrations(connection).values.sorted { $0.version < $1.version }
        }
    }

    // MARK: Internals

    /// Arbitrary first half of the two-key advisory lock, "SWB1"; the second half is the schema.
    static let lockKey: Int32 = 0x5357_4231

    static let createLedger = """
        CREATE TABLE IF NOT EXISTS switchboard_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
        )
        """

    private func checkVersionsAreUnique() throws {
        var seen: Set<Int> = []
        for migration in migrations where !seen.insert(migration.version).inserted {
            throw MigrationError("two migrations have version \(migration.version)")
        }
    }

    private static func appliedMigrations(_ connection: isolated PostgresConnection) throws -> [Int: AppliedMigration] {
        var applied: [Int: AppliedMigration] = [:]
        for row in try connection.query("SELECT version, name, checksum, applied_at FROM switchboard_migrations") {
            let migration = AppliedMigration(version: try row.decode(Int.self, at: 0), name: try row.decode(String.self, at: 1),
                                             checksum: try row.decode(String.self, at: 2), appliedAt: try row.decode(Date.self, at: 3))
            applied[migration.version] = migration
        }
        return applied
    }

    /// SHA-256 of each migration's text, computed by the server (no crypto library needed).
    private static func checksums(of migrations: [Migration], _ connection: isolated PostgresConnection) throws -> [Int: String] {
        let texts = migrations.map(\.sql)
        let result = try connection.query("""
            SELECT ordinality::int, encode(sha256(convert_to(text, 'UTF8')), 'hex')
            FROM unnest(\(texts)::text[]) WITH ORDINALITY AS t(text, ordinality)
            """)
        var checksums: [Int: String] = [:]
        for row in result {
            checksums[migrations[try row.decode(Int.self, at: 0) - 1].version] = try row.decode(String.self, at: 1)
        }
        return checksums
    }

    /// ` at line N` when the server pointed at a character of the migration's text.
    static func lineDescription(of error: PostgresError, in sql: String) -> String {
        guard let position = error.position, position > 0 else { return "" }
        let line = sql.prefix(position - 1).reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        return " at line \(line)"
    }
}
