import Postgres

/// Makes scheduled jobs (retries, snoozes, jobs enqueued for later) available when their time
/// comes, and wakes their queues.
struct ScheduledJobPromoter: MaintenanceChore {
    struct Configuration: Sendable {
        /// How often: the delay a due job may wait beyond its run time.
        var interval: Duration = .milliseconds(200)
        /// Jobs promoted per statement at most.
        var batch = 10_000
    }

    let configuration: Configuration
    var name: String { "promote scheduled jobs" }
    var interval: Duration { configuration.interval }

    func run(_ context: MaintenanceContext) async throws {
        let batch = configuration.batch
        let promoted = try await context.connection.run { connection in try Self.promote(batch: batch, on: connection) }
        if promoted > 0 { context.logger.debug("promoted scheduled jobs", metadata: ["count": "\(promoted)"]) }
    }

    static func promote(batch: Int = 10_000, on connection: isolated PostgresConnection) throws -> Int {
        let result = try connection.query("""
            WITH due AS (
                SELECT ctid FROM jobs WHERE state = 'scheduled' AND run_at <= now() ORDER BY run_at LIMIT \(batch) FOR UPDATE SKIP LOCKED),
            promoted AS (UPDATE jobs j SET state = 'available' WHERE j.ctid = ANY (ARRAY(SELECT ctid FROM due)) RETURNING j.queue),
            woken AS (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM (SELECT DISTINCT queue FROM promoted) q)
            SELECT (SELECT count(*) FROM promoted), (SELECT count(*) FROM woken)
            """)
        return Int(try result.scalar(Int64.self))
    }
}
