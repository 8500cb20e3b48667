// A worker process for the queue's fault tests: the real JobWorker under a ServiceGroup (so
// SIGTERM/SIGINT shut it down gracefully), with job kinds that record, fail and hang.
// Configured through the environment so tests can start many copies cheaply.
import Foundation
import JobQueue
import Logging
import Postgres
import ServiceLifecycle

struct RecordArgs: Codable, Sendable {
    var sleepMS: Int = 0
    var failTimes: Int = 0
    /// When set, the first attempt sleeps this long instead of `sleepMS`.
    var firstAttemptSleepMS: Int?
}
struct Empty: Codable, Sendable {}
struct TestFailure: Error, CustomStringConvertible { let description: String }

let environment = ProcessInfo.processInfo.environment
func milliseconds(_ name: String, _ fallback: Int64) -> Duration { .milliseconds(Int64(environment[name] ?? "") ?? fallback) }

LoggingSystem.bootstrap { label in
    var handler = StreamLogHandler.standardError(label: label)
    handler.logLevel = Logger.Level(rawValue: environment["SB_LOG_LEVEL"] ?? "info") ?? .info
    return handler
}
let logger = Logger(label: "queue-test-worker")

do {
    var database = try PostgresConfiguration(environment["SB_DATABASE"] ?? "")
    if let schema = environment["SB_SCHEMA"] { database = try database.withSearchPath(schema) }

    var queues: [String: Int] = [:]
    for spec in (environment["SB_QUEUES"] ?? "default=4").split(separator: ",") {
        let parts = spec.split(separator: "=")
        queues[String(parts[0])] = Int(parts[1]) ?? 1
    }
    var configuration = JobWorkerConfiguration(queues: queues)
    configuration.lease = milliseconds("SB_LEASE_MS", 15_000)
    configuration.shutdownGrace = milliseconds("SB_GRACE_MS", 10_000)
    configuration.pollInterval = milliseconds("SB_POLL_MS", 1_000)
    configuration.leaderLease = milliseconds("SB_LEADER_LEASE_MS", 5_000)
    configuration.listen = environment["SB_POLL_ONLY"] == nil
    configuration.connectionLabel = environment["SB_LABEL"] ?? "queue-test"
    if let dead = environment["SB_DEAD_WORKER_MS"] { configuration.deadWorkerTimeout = milliseconds("SB_DEAD_WORKER_MS", Int64(dead) ?? 30_000) }

    let pool = PostgresPool(configuration: database, options: .init(maxConnections: 4))
    let record = JobKind<RecordArgs>("test.record", timeout: milliseconds("SB_RECORD_TIMEOUT_MS", 30_000),
                                     backoff: RetryBackoff(base: .milliseconds(50)))
    let fail = JobKind<Empty>("test.fail", backoff: RetryBackoff(base: .milliseconds(50), jitter: 0))
    let hang = JobKind<Empty>("test.hang", timeout: .seconds(1), backoff: RetryBackoff(base: .milliseconds(50), jitter: 0))

    var registry = JobRegistry()
    let pid = Int(ProcessInfo.processInfo.processIdentifier)
    registry.register(record) { args, context in
        try await pool.execute("INSERT INTO test_runs (job_id, attempt, pid) VALUES (\(context.id), \(context.attempt), \(pid))")
        let sleepMS = context.attempt == 1 ? args.firstAttemptSleepMS ?? args.sleepMS : args.sleepMS
        if sleepMS > 0 { try await Task.sleep(for: .milliseconds(sleepMS)) }
        if context.attempt <= args.failTimes { throw TestFailure(description: "planned failure on attempt \(context.attempt)") }
    }
    registry.register(fail) { _, context in
        throw TestFailure(description: "poison: attempt \(context.attempt) fails like every other")
    }
    registry.register(hang) { _, _ in
        // Ignores cancellation, like a handler stuck waiting on something that never answers
        // (a detached sleep is not cancelled with the handler, and holds no thread).
        await Task.detached { try? await Task.sleep(for: .seconds(3600)) }.value
    }

    let worker = JobWorker(database: database, configuration: configuration, registry: registry, logger: logger)
    let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm, .sigint], cancellationSignals: [], logger: logger)
    try await group.run()
    await pool.shutdown()
} catch {
    logger.critical("queue-test-worker failed: \(error)")
    exit(1)
}
