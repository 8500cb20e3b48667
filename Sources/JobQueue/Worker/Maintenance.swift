import Postgres
import Logging
import Foundation
import Synchronization

/// Leader election and the leader's chores. Every worker process runs one; only the holder of
/// the `job_leader` lease does the chores. The lease is a row, not a session advisory lock, so
/// election also works through PgBouncer in transaction pooling mode.
struct Maintenance: Sendable {
    let configuration: JobWorkerConfiguration
    let connection: ManagedConnection
    let metrics: JobMetrics
    let logger: Logger
    let workerID: @Sendable () -> Int64?
    let isStopping: @Sendable () -> Bool
    let wake: WakeSignal

    let vacuum: JobsVacuum

    private var renewInterval: Duration { min(.seconds(1), configuration.leaderLease / 3) }

    func run() async {
        var leaderUntil: ContinuousClock.Instant?
        var lastRenew: ContinuousClock.Instant?
        var lastMinor: ContinuousClock.Instant?
        var lastMajor: ContinuousClock.Instant?
        var reportedInvalid: [String: String] = [:]
        while !isStopping() {
            let now = ContinuousClock.now
            if let id = workerID(), lastRenew.map({ now - $0 >= renewInterval }) ?? true {
                lastRenew = now
                do {
                    let (held, newly) = try await connection.run { connection in
                        try Self.renew(worker: id, lease: configuration.leaderLease, on: connection)
                    }
                    let wasLeader = leaderUntil.map { $0 > now } ?? false
                    leaderUntil = held ? now + configuration.leaderLease : nil
                    if held && (newly || !wasLeader) { logger.notice("elected leader", metadata: ["worker.id": "\(id)"]) }
                    if !held && wasLeader { logger.warning("lost leadership", metadata: ["worker.id": "\(id)"]) }
                } catch {
                    logger.warning("leader election failed: \(error)")
                }
            }
            if let until = leaderUntil, until > .now {
                await chores(now: now, lastMinor: &lastMinor, lastMajor: &lastMajor, reportedInvalid: &reportedInvalid)
            }
            let leading = leaderUntil.map { $0 > .now } ?? false
            await wake.wait(timeout: leading ? configuration.promotionInterval : renewInterval)
        }
        if leaderUntil.map({ $0 > .now }) ?? false, let id = workerID() {
            _ = try? await connection.run { connection in
                try connection.execute("UPDATE job_leader SET expires_at = '-infinity' WHERE worker_id = \(id)")
            }
        }
        await vacuum.stop()
        await connection.drop()
    }

    private func chores(now: ContinuousClock.Instant, lastMinor: inout ContinuousClock.Instant?,
                        lastMajor: inout ContinuousClock.Instant?, reportedInvalid: inout [String: String]) async {
        do {
            let promoted = try await connection.run { connection in try Self.promoteScheduled(on: connection) }
            if promoted > 0 { logger.debug("promoted scheduled jobs", metadata: ["count": "\(promoted)"]) }
            if lastMinor.map({ now - $0 >= .seconds(1) }) ?? true {
                lastMinor = now
                let rescued = try await connection.run { connection in try Self.rescueExpiredLeases(on: connection) }
                if rescued.available + rescued.dead > 0 {
                    logger.warning("rescued jobs whose lease expired", metadata: [
                        "available": "\(rescued.available)", "dead": "\(rescued.dead)"])
                }
                await vacuum.runIfNeeded()
                let ticks = try await connection.run { connection in try await JobSchedules.enqueueDueTicks(on: connection) }
                if ticks.enqueued > 0 { logger.debug("enqueued periodic jobs", metadata: ["count": "\(ticks.enqueued)"]) }
                for (name, problem) in ticks.invalid where reportedInvalid[name] != problem {
                    logger.error("schedule '\(name)' is skipped: \(problem)")
                }
                reportedInvalid = ticks.invalid
            }
            if lastMajor.map({ now - $0 >= .seconds(10) }) ?? true {
                lastMajor = now
                try await housekeeping()
            }
        } catch {
            logger.warning("maintenance failed: \(error)")
        }
    }

    private func housekeeping() async throws {
        let deadAfter = configuration.deadWorkerTimeout ?? max(configuration.lease * 3, .seconds(30))
        let retainCompleted = configuration.retainCompleted, retainDead = configuration.retainDead
        let depths = try await connection.run { connection -> [(String, Int)] in
            // A worker silent for three leases is gone; its jobs were already rescued.
            try connection.execute("""
                DELETE FROM job_workers WHERE heartbeat_at < now() - \(deadAfter.wholeMilliseconds) * interval '1 millisecond'
                """)
            try Self.deleteFinished(retainCompleted: retainCompleted, retainDead: retainDead, on: connection)
            try connection.execute("DELETE FROM job_throughput WHERE bucket < now() - interval '1 hour'")
            return try connection.query("SELECT queue, count(*) FROM jobs WHERE state = 'available' GROUP BY queue").map {
                (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1))
            }
        }
        for (queue, depth) in depths { metrics.depth(queue: queue, depth) }
    }

    /// Takes or renews the lease. Returns whether this worker holds it, and whether it just took it.
    static func renew(worker: Int64, lease: Duration, on connection: isolated PostgresConnection) throws -> (Bool, Bool) {
        let result = try connection.query("""
            UPDATE job_leader SET
                elected_at = CASE WHEN worker_id = \(worker) AND expires_at > now() THEN elected_at ELSE now() END,
                worker_id = \(worker),
                expires_at = now() + \(lease.wholeMilliseconds) * interval '1 millisecond'
             WHERE worker_id = \(worker) OR expires_at <= now()
            RETURNING elected_at = now()
            """)
        guard let row = result.first else { return (false, false) }
        return (true, try row.decode(Bool.self, at: 0))
    }

    /// Deletes up to 10,000 finished jobs kept longer than their retention.
    static func deleteFinished(retainCompleted: Duration, retainDead: Duration, on connection: isolated PostgresConnection) throws {
        try connection.execute("""
            DELETE FROM jobs WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM jobs
                 WHERE (state = 'completed' AND finished_at < now() - \(retainCompleted.wholeMilliseconds) * interval '1 millisecond')
                    OR (state IN ('dead', 'cancelled') AND finished_at < now() - \(retainDead.wholeMilliseconds) * interval '1 millisecond')
                 LIMIT 10000))
            """)
    }

    /// Makes due scheduled jobs available and wakes their queues.
    static func promoteScheduled(on connection: isolated PostgresConnection) throws -> Int {
        let result = try connection.query("""
            WITH due AS (
                SELECT ctid FROM jobs WHERE state = 'scheduled' AND run_at <= now() ORDER BY run_at LIMIT 10000 FOR UPDATE SKIP LOCKED),
            promoted AS (UPDATE jobs j SET state = 'available' WHERE j.ctid = ANY (ARRAY(SELECT ctid FROM due)) RETURNING j.queue),
            woken AS (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM (SELECT DISTINCT queue FROM promoted) q)
            SELECT (SELECT count(*) FROM promoted), (SELECT count(*) FROM woken)
            """)
        return Int(try result.scalar(Int64.self))
    }

    /// Gives back running jobs whose lease lapsed (their worker crashed or was cut off): available
    /// again, or dead if that was the last attempt, with the lapse recorded as the attempt's error.
    static func rescueExpiredLeases(on connection: isolated PostgresConnection) throws -> (available: Int, dead: Int) {
        let result = try connection.query("""
            WITH expired AS (
                SELECT ctid FROM jobs WHERE state = 'running' AND locked_until < now() FOR UPDATE SKIP LOCKED),
            rescued AS (
                UPDATE jobs j SET
                    state = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'available' END,
                    finished_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
                    errors = j.errors || jsonb_build_array(jsonb_build_object(
                        'attempt', j.attempt, 'at', now(), 'worker_id', j.locked_by,
                        'error', 'lease expired: worker ' || j.locked_by || ' stopped renewing it (crashed, hung or cut off)')),
                    locked_by = NULL, locked_until = NULL
                 WHERE j.ctid = ANY (ARRAY(SELECT ctid FROM expired))
                RETURNING j.queue, j.state),
            woken AS (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM (SELECT DISTINCT queue FROM rescued WHERE state = 'available') q)
            SELECT count(*) FILTER (WHERE state = 'available'), count(*) FILTER (WHERE state = 'dead'),
                   (SELECT count(*) FROM woken)
              FROM rescued
            """)
        guard let row = result.first else { return (0, 0) }
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }
}

/// Vacuums `jobs` when dead tuples pile up faster than autovacuum can visit: autovacuum looks at
/// each database only every `autovacuum_naptime` (a minute by default, a server-wide setting),
/// and a busy queue makes millions of dead tuples in that time, every one of them in front of the
/// claim index. The leader checks the table's statistics every second and runs a plain VACUUM
/// (which blocks no reads or writes) on a connection of its own, one at a time.
final class JobsVacuum: Sendable {
    private let connection: ManagedConnection
    private let logger: Logger
    private let running = Mutex<Task<Void, Never>?>(nil)
    /// Vacuum once dead tuples exceed both this and the live rows.
    let threshold: Int

    init(connection: ManagedConnection, logger: Logger, threshold: Int = 100_000) {
        self.connection = connection
        self.logger = logger
        self.threshold = threshold
    }

    func runIfNeeded() async {
        if threshold <= 0 || running.withLock({ $0 != nil }) { return }
        let threshold = self.threshold
        guard let dead = try? await connection.run({ connection -> Int? in
            let row = try connection.query("""
                SELECT n_dead_tup, n_live_tup FROM pg_stat_user_tables WHERE relid = 'jobs'::regclass
                """).first
            guard let row else { return nil }
            let dead = try row.decode(Int.self, at: 0), live = try row.decode(Int.self, at: 1)
            return dead > threshold && dead > live ? dead : nil
        }) else { return }
        // Created under the lock, so the task's own reset cannot come before this assignment.
        running.withLock { running in running = Task { [connection, logger] in
            let started = ContinuousClock.now
            do {
                try await connection.run { connection in _ = try connection.simpleQuery(unsafeSQL: "VACUUM jobs") }
                logger.info("vacuumed the jobs table", metadata: ["dead_tuples": "\(dead)", "seconds": "\((ContinuousClock.now - started).seconds)"])
            } catch {
                logger.warning("VACUUM of the jobs table failed: \(error)")
            }
            self.running.withLock { $0 = nil }
        } }
    }

    func stop() async {
        let task = running.withLock { $0 }
        await task?.value
        await connection.drop()
    }
}
