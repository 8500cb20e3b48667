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

    /// Checksums of earlier texts of this migration that databases may have applied, declared in
    /// its text as `-- previously applied as sha256:HEX` lines. A migration's text changes only
    /// when what it defined moved elsewhere without changing the database (as when functions
    /// moved to `sql/definitions`); such a line says so in the diff that makes the change.
    public var previousChecksums: Set<String> {
        let marker = "-- previously applied as sha256:"
        return Set(sql.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix(marker) else { return nil }
            let hex = line.dropFirst(marker.count).prefix { $0.isHexDigit }
            return hex.count == 64 ? hex.lowercased() : nil
        })
    }
}

/// One file of `sql/definitions`: functions, trigger functions, triggers and views of one area,
/// written to be applied again and again (`CREATE OR REPLACE …`).
public struct Definition: Sendable, Equatable {
    /// The file's name without `.sql`, such as `routing`.
    public let name: String
    public let sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }

    /// `routing.sql`.
    public var fileName: String { "\(name).sql" }
}

/// A migration recorded as applied.
public struct AppliedMigration: Sendable {
    public let version: Int
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// A definitions file recorded as applied, with the checksum of the text applied last.
public struct AppliedDefinition: Sendable {
    public let name: String
    public let checksum: String
    public let appliedAt: Date
}

/// Why migrating stopped: a code to switch on, and a message that says what to do.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// Two migrations share a version, or two definitions files a name.
        case duplicate
        /// The database has a migration this build does not know: it is newer.
        case unknownMigration
        /// An applied migration's text changed since.
        case editedMigration
        /// A migration failed and was rolled back.
        case migrationFailed
        /// A definitions file failed; no definitions file of the run was applied.
        case definitionsFailed
        /// The connection goes through a transaction pooler, which cannot keep the migration lock.
        case needsOwnSession
    }

    public let code: Code
    public let description: String
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// What ``Migrator/migrate(on:)`` did.
public struct MigrationReport: Sendable {
    /// Migrations applied by this run, in order.
    public var applied: [Migration] = []
    /// Migrations that were already in place.
    public var alreadyApplied = 0
    /// Definitions files applied by this run (new, changed, or re-applied after new migrations), in order.
    public var definitionsApplied: [Definition] = []
    /// Definitions files already in place as they are in this build.
    public var definitionsUnchanged = 0
}

/// What ``Migrator/status(on:)`` finds: each migration and definitions file of this build and
/// whether the database has it as it is.
public struct MigrationStatus: Sendable {
    public enum State: Sendable, Equatable {
        /// Never applied.
        case pending
        /// Applied, and the text is this build's.
        case applied(Date)
        /// Applied from another text: an earlier one this build declares for a migration, or a
        /// different version of a definitions file, which the next `migrate` re-applies.
        case appliedOtherText(Date)
    }

    public var migrations: [(migration: Migration, state: State)] = []
    public var definitions: [(definition: Definition, state: State)] = []

    /// Migrations and definitions files the database does not have as this build has them.
    public var notCurrent: Int {
        migrations.filter { !$0.state.isCurrent }.count + definitions.filter { !$0.state.isCurrent }.count
    }
}

extension MigrationStatus.State {
    /// Applied, with this build's text.
    public var isCurrent: Bool {
        if case .applied = self { return true }
        return false
    }
}

/// Brings a schema up to date in two steps, under one session advisory lock so that concurrent
/// migrators wait for each other:
///
/// 1. **Migrations** (`sql/migrations`), in version order, each in its own transaction, each
///    recorded with a SHA-256 checksum in `switchboard_migrations`. An applied migration whose text
///    has changed since is refused (unless the text declares the applied checksum as a previous
///    one): migrations are forward-only, and a change goes into a new file.
/// 2. **Definitions** (`sql/definitions`), in their declared order, all in one transaction: every
///    file whose checksum differs from the one recorded in `switchboard_definitions`, or every
///    file when this run applied a migration (a migration may have dropped what they define). A
///    failing file rolls the whole step back and is named with its line and PostgreSQL's message.
///
/// Both ledgers live in the first schema of the search path.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    public let definitions: [Definition]
    public let logger: Logger

    public init(migrations: [Migration] = Migration.embedded, definitions: [Definition] = Definition.embedded,
                logger: Logger = Logger(label: "switchboard.migrate")) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.definitions = definitions
        self.logger = logger
    }

    /// Brings the schema up to date. The connection is used exclusively until this returns.
    @discardableResult
    public func migrate(on connection: PostgresConnection) async throws -> MigrationReport {
        try checkNamesAreUnique()
        guard connection.configuration.pooling == .session else {
            throw MigrationError(.needsOwnSession, "migrations hold a session advisory lock, which a transaction pooler does not keep: migrate over a direct connection to PostgreSQL (switchboard migrate with a DATABASE_URL that bypasses the pooler)")
        }
        let migrator = self
        return try await connection.run { connection in
            try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey), hashtext(coalesce(current_schema(), '')))")
            defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey), hashtext(coalesce(current_schema(), '')))") }
            try connection.simpleQuery(unsafeSQL: Self.createLedgers)
            var report = MigrationReport()
            try await migrator.applyMigrations(connection, into: &report)
            try await migrator.applyDefinitions(connection, reapplyAll: !report.applied.isEmpty, into: &report)
            return report
        }
    }

    /// What the database has applied, by version.
    public func applied(on connection: PostgresConnection) async throws -> [AppliedMigration] {
        try await connection.run { connection in
            guard try Self.ledgersExist(connection) else { return [] }
            return try Self.appliedMigrations(connection).values.sorted { $0.version < $1.version }
        }
    }

    /// Each migration and definitions file of this build, and whether the database has it.
    public func status(on connection: PostgresConnection) async throws -> MigrationStatus {
        let migrator = self
        return try await connection.run { connection in
            var status = MigrationStatus()
            let exists = try Self.ledgersExist(connection)
            let applied = exists ? try Self.appliedMigrations(connection) : [:]
            let appliedDefinitions = exists ? try Self.appliedDefinitions(connection) : [:]
            let checksums = try Self.checksums(of: migrator.migrations.map(\.sql), connection)
            let definitionChecksums = try Self.checksums(of: migrator.definitions.map(\.sql), connection)
            for (migration, checksum) in zip(migrator.migrations, checksums) {
                let state: MigrationStatus.State = applied[migration.version].map {
                    $0.checksum == checksum ? .applied($0.appliedAt) : .appliedOtherText($0.appliedAt)
                } ?? .pending
                status.migrations.append((migration, state))
            }
            for (definition, checksum) in zip(migrator.definitions, definitionChecksums) {
                let state: MigrationStatus.State = appliedDefinitions[definition.name].map {
                    $0.checksum == checksum ? .applied($0.appliedAt) : .appliedOtherText($0.appliedAt)
                } ?? .pending
                status.definitions.append((definition, state))
            }
            return status
        }
    }

    // MARK: Steps

    private func applyMigrations(_ connection: isolated PostgresConnection, into report: inout MigrationReport) async throws {
        let applied = try Self.appliedMigrations(connection)
        let checksums = try Self.checksums(of: migrations.map(\.sql), connection)
        let known = Set(migrations.map(\.version))
        if let unknown = applied.values.filter({ !known.contains($0.version) }).min(by: { $0.version < $1.version }) {
            throw MigrationError(.unknownMigration, "the database has migration \(Migration(version: unknown.version, name: unknown.name, sql: "").id) that this build of switchboard does not know: run a newer switchboard")
        }
        for (migration, checksum) in zip(migrations, checksums) {
            if let done = applied[migration.version] {
                if done.checksum != checksum {
                    guard migration.previousChecksums.contains(done.checksum) else {
                        throw MigrationError(.editedMigration, "migration \(migration.id) was edited after it was applied (checksum in the database \(done.checksum.prefix(12))…, in this build \(checksum.prefix(12))…); migrations are forward-only: restore the applied text and put the change in a new migration")
                    }
                    // The same schema from a declared later text: the ledger records the text in force.
                    try connection.execute("UPDATE switchboard_migrations SET checksum = \(checksum) WHERE version = \(migration.version)")
                    logger.info("migration text replaced by its declared successor", metadata: ["migration": "\(migration.id)"])
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
                        VALUES (\(migration.version), \(migration.name), \(checksum), \(Self.milliseconds(since: started)))
                        """)
                }
            } catch let error as PostgresError {
                throw MigrationError(.migrationFailed, "migration \(migration.id) failed\(Self.lineDescription(of: error, in: migration.sql)): \(error)")
            }
            logger.info("applied migration", metadata: ["migration": "\(migration.id)"])
            report.applied.append(migration)
        }
    }

    private func applyDefinitions(_ connection: isolated PostgresConnection, reapplyAll: Bool,
                                  into report: inout MigrationReport) async throws {
        let applied = try Self.appliedDefinitions(connection)
        let checksums = try Self.checksums(of: definitions.map(\.sql), connection)
        let due = zip(definitions, checksums).filter { reapplyAll || applied[$0.0.name]?.checksum != $0.1 }
        report.definitionsUnchanged = definitions.count - due.count
        guard !due.isEmpty else { return }
        try await connection.transaction { connection in
            for (definition, checksum) in due {
                let started = ContinuousClock.now
                do {
                    try connection.simpleQuery(unsafeSQL: definition.sql)
                } catch let error as PostgresError {
                    throw MigrationError(.definitionsFailed, "sql/definitions/\(definition.fileName) failed\(Self.lineDescription(of: error, in: definition.sql)): \(error); no definitions file was applied")
                }
                try connection.execute("""
                    INSERT INTO switchboard_definitions (name, checksum, duration_ms) VALUES (\(definition.name), \(checksum), \(Self.milliseconds(since: started)))
                    ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now(), duration_ms = excluded.duration_ms
                    """)
            }
        }
        for (definition, _) in due {
            logger.info("applied definitions", metadata: ["definitions": "\(definition.fileName)"])
        }
        report.definitionsApplied = due.map(\.0)
    }

    // MARK: Internals

    /// Arbitrary first half of the two-key advisory lock, "SWB1"; the second half is the schema.
    static let lockKey: Int32 = 0x5357_4231

    static let createLedgers = """
        CREATE TABLE IF NOT EXISTS switchboard_migrations (
            version     integer PRIMARY KEY,
            name        text NOT NULL,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
        );
        CREATE TABLE IF NOT EXISTS switchboard_definitions (
            name        text PRIMARY KEY,
            checksum    text NOT NULL,
            applied_at  timestamptz NOT NULL DEFAULT now(),
            duration_ms integer NOT NULL
        );
        """

    private func checkNamesAreUnique() throws {
        var seen: Set<Int> = []
        for migration in migrations where !seen.insert(migration.version).inserted {
            throw MigrationError(.duplicate, "two migrations have version \(migration.version)")
        }
        var names: Set<String> = []
        for definition in definitions where !names.insert(definition.name).inserted {
            throw MigrationError(.duplicate, "two definitions files are named \(definition.fileName)")
        }
    }

    private static func ledgersExist(_ connection: isolated PostgresConnection) throws -> Bool {
        try connection.query("SELECT to_regclass('switchboard_migrations') IS NOT NULL").scalar(Bool.self)
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

    private static func appliedDefinitions(_ connection: isolated PostgresConnection) throws -> [String: AppliedDefinition] {
        guard try connection.query("SELECT to_regclass('switchboard_definitions') IS NOT NULL").scalar(Bool.self) else { return [:] }
        var applied: [String: AppliedDefinition] = [:]
        for row in try connection.query("SELECT name, checksum, applied_at FROM switchboard_definitions") {
            let definition = AppliedDefinition(name: try row.decode(String.self, at: 0), checksum: try row.decode(String.self, at: 1),
                                               appliedAt: try row.decode(Date.self, at: 2))
            applied[definition.name] = definition
        }
        return applied
    }

    /// SHA-256 of each text, in order, computed by the server (no crypto library needed).
    private static func checksums(of texts: [String], _ connection: isolated PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT encode(sha256(convert_to(text, 'UTF8')), 'hex')
            FROM unnest(\(texts)::text[]) WITH ORDINALITY AS t(text, ordinality) ORDER BY ordinality
            """).map { try $0.decode(String.self, at: 0) }
    }

    private static func milliseconds(since started: ContinuousClock.Instant) -> Int {
        Int((ContinuousClock.now - started) / .milliseconds(1))
    }

    /// ` at line N` when the server pointed at a character of the text.
    static func lineDescription(of error: PostgresError, in sql: String) -> String {
        guard let position = error.position, position > 0 else { return "" }
        let line = sql.prefix(position - 1).reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        return " at line \(line)"
    }
}
