public import Postgres
public import EmbeddedPostgres
import Foundation
import Migrations
import Logging

/// The PostgreSQL server the tests run against: `TEST_DATABASE_URL` when set, otherwise a
/// throwaway embedded cluster (fsync off) started once per test process and removed at exit.
/// Each test works in a schema of its own.
public enum TestDatabase {
    /// Connection string of the shared test server.
    public static func connectionString() async throws -> String {
        try await shared.connectionString()
    }

    /// A new, empty schema; the returned configuration puts it first on the search path. With
    /// `SWITCHBOARD_TEST_PGBOUNCER=1` it goes through PgBouncer in transaction pooling.
    public static func freshSchema(_ label: String = "t") async throws -> TestSchema {
        let base = try PostgresConfiguration(try await connectionString())
        let name = "\(label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(20))_\(UInt32.random(in: .min ... .max))"
        let connection = try await PostgresConnection.connect(base)
        try await connection.execute("CREATE SCHEMA \(identifier: name)")
        await connection.close()
        let direct = try base.withSearchPath(name)
        if let bouncer = try await shared.pgBouncer() {
            return TestSchema(name: name, configuration: try await bouncer.configuration(forSchema: name), base: base, direct: direct)
        }
        return TestSchema(name: name, configuration: direct, base: base, direct: direct)
    }

    /// Whether this run reaches the server through PgBouncer in transaction pooling.
    public static var throughPgBouncer: Bool { TestPgBouncer.isEnabled }

    /// Runs `body` with a connection to a fresh schema, then closes the connection and drops the
    /// schema, whether `body` returned or threw.
    public static func withConnection(_ label: String = "t",
                                      _ body: (PostgresConnection, TestSchema) async throws -> Void) async throws {
        let schema = try await freshSchema(label)
        let connection = try await schema.connect()
        var failure: (any Error)?
        do { try await body(connection, schema) } catch { failure = error }
        await connection.close()
        try await schema.drop()
        if let failure { throw failure }
    }

    /// A cluster of the test's own, for tests that stop or restart the server.
    public static func privateCluster() async throws -> EmbeddedPostgres {
        let directory = FileManager.default.temporaryDirectory.appending(path: "switchboard-private-\(UUID().uuidString.prefix(8))")
        let cluster = EmbeddedPostgres(directory: directory, fsync: false)
        try await blocking { try cluster.start() }
        Cleanup.register(cluster)
        return cluster
    }

    /// Runs blocking work (process spawning) off the cooperative thread pool.
    @discardableResult
    public static func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    private static let shared = SharedServer()
}

/// A schema owned by one test.
public struct TestSchema: Sendable {
    public let name: String
    /// Connects with `search_path` set to the schema (through PgBouncer when the run does).
    public let configuration: PostgresConfiguration
    /// Connects with the server's default search path.
    public let base: PostgresConfiguration
    /// Connects to the server itself with `search_path` set to the schema: what migrations and
    /// anything else that needs a session of its own use.
    public let direct: PostgresConfiguration

    public init(name: String, configuration: PostgresConfiguration, base: PostgresConfiguration, direct: PostgresConfiguration? = nil) {
        self.name = name
        self.configuration = configuration
        self.base = base
        self.direct = direct ?? configuration
    }

    public func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration)
    }

    /// Brings the schema up to date over a direct connection, as `switchboard migrate` does in a
    /// deployment with a transaction pooler.
    public func migrate() async throws {
        let connection = try await PostgresConnection.connect(direct)
        defer { Task { await connection.close() } }
        try await Migrator().migrate(on: connection)
        // The hourly retraining would train on the whole starting corpus in any test whose
        // leader spans minute 17, and change categories and the ingest queue under it: a test
        // that exercises it enables it or enqueues the job itself.
        try await connection.execute("UPDATE job_schedules SET enabled = false WHERE name = 'categories_train'")
    }

    public func drop() async throws {
        let connection = try await PostgresConnection.connect(base)
        try await connection.execute("DROP SCHEMA \(identifier: name) CASCADE")
        await connection.close()
    }
}

actor SharedServer {
    private var started: String?
    private var cluster: EmbeddedPostgres?
    private var bouncer: TestPgBouncer?

    /// PgBouncer in front of the embedded cluster, when the run asks for it.
    func pgBouncer() async throws -> TestPgBouncer? {
        guard TestPgBouncer.isEnabled else { return nil }
        if let bouncer { return bouncer }
        _ = try await connectionString()
        guard let cluster else {
            throw PgBouncerUnavailable(description: "SWITCHBOARD_TEST_PGBOUNCER needs the embedded test cluster; unset TEST_DATABASE_URL")
        }
        let made = TestPgBouncer(directory: cluster.directory.appending(path: "pgbouncer"), serverHost: cluster.dataDirectory.path,
                                 serverPort: cluster.port, user: EmbeddedPostgres.user)
        bouncer = made
        return made
    }

    func connectionString() async throws -> String {
        if let started { return started }
        _ = TestLogging.bootstrapped
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            started = url
            return url
        }
        let directory = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appending(path: "switchboard-tests-\(getpid())")
        // Every test migrates a schema of its own in one transaction, holding a lock on each object
        // it creates until it commits; dozens at once outgrow the default lock table. Worker
        // processes and servers of tests running at once hold a few hundred connections at peaks.
        let cluster = EmbeddedPostgres(directory: directory, fsync: false,
                                       settings: ["max_connections": "500", "max_locks_per_transaction": "512"])
        try await TestDatabase.blocking { try cluster.start() }
        Cleanup.register(cluster)
        self.cluster = cluster
        started = cluster.connectionString
        return cluster.connectionString
    }
}

/// Test processes log warnings and worse (`SB_TEST_LOG_LEVEL` to change it): thousands of info
/// lines from the workers under test would bury the one line that says which expectation failed.
enum TestLogging {
    static let bootstrapped: Void = {
        let level = ProcessInfo.processInfo.environment["SB_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }()
}

/// Stops and deletes the clusters this process started when it exits.
enum Cleanup {
    private static let clusters = LockedClusters()
    private static let exitHook: Void = { atexit { Cleanup.clusters.destroyAll() } }()

    static func register(_ cluster: EmbeddedPostgres) {
        clusters.add(cluster)
        _ = exitHook
    }

    /// A helper process (PgBouncer) ended before the clusters are.
    static func register(_ process: Process) {
        clusters.add(process)
        _ = exitHook
    }
}

final class LockedClusters: @unchecked Sendable {
    private let lock = NSLock()
    private var clusters: [EmbeddedPostgres] = []
    private var processes: [Process] = []

    func add(_ cluster: EmbeddedPostgres) {
        lock.withLock { clusters.append(cluster) }
    }

    func add(_ process: Process) {
        lock.withLock { processes.append(process) }
    }

    func destroyAll() {
        let (all, helpers) = lock.withLock { (clusters, processes) }
        // runuser passes SIGTERM on to PgBouncer, which then closes its sessions.
        for process in helpers where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        // Keep the clusters when asked to, for a look at server.log after a failure.
        guard ProcessInfo.processInfo.environment["SWITCHBOARD_KEEP_TEST_CLUSTER"] == nil else { return }
        for cluster in all { try? cluster.destroy() }
    }
}

/// The test waited longer than it should have.
public struct TimedOut: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Runs `work`, failing with ``TimedOut`` if it takes longer than `limit`.
public func withTimeout<T: Sendable>(_ limit: Duration, _ what: String = "operation",
                                     _ work: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await work() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw TimedOut(description: "\(what) took longer than \(limit)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// Polls `condition` every 50 ms until it holds, or fails with ``TimedOut`` once `limit` passed,
/// saying what `diagnose` finds then. The limit is generous: the whole suite runs in parallel on
/// two cores, with real worker processes and an SMTP server beside it, and a worker starting up
/// there has taken over 20 s to run its first job.
public func eventually(_ what: String, within limit: Duration = .seconds(60), diagnose: () async throws -> String = { "" },
                       _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    let found = try await diagnose()
    throw TimedOut(description: "\(what) did not happen within \(limit)" + (found.isEmpty ? "" : "; \(found)"))
}

/// Reads events from a listener one at a time, with a time limit on each.
public final class EventReader: @unchecked Sendable {
    private var iterator: AsyncStream<PostgresListenerEvent>.AsyncIterator
    public init(_ listener: PostgresListener) { iterator = listener.events.makeAsyncIterator() }

    public func next(within limit: Duration = .seconds(10)) async throws -> PostgresListenerEvent {
        try await withTimeout(limit, "waiting for a listener event") { [self] in
            guard let event = await iterator.next() else { throw TimedOut(description: "the listener ended") }
            return event
        }
    }
}
