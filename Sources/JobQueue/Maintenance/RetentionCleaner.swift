import Postgres

/// Deletes what the queue no longer needs: finished jobs past their retention (the dead rows
/// in front of the claim index are the classic failure of Postgres queues), the per-minute
/// counts older than an hour, and the rows of workers gone silent.
struct RetentionCleaner: MaintenanceChore {
    struct Configuration: Sendable {
        var interval: Duration = .seconds(10)
        /// Completed jobs are kept this long (0: deleted at once).
        var retainCompleted: Duration = .zero
        /// Dead and cancelled jobs are kept this long.
        var retainDead: Duration = .seconds(7 * 24 * 3600)
        /// A worker silent this long is gone (its jobs were already rescued).
        var deadWorkerTimeout: Duration = .seconds(45)
        /// Jobs deleted per statement at most.
        var batch = 10_000
    }

    let configuration: Configuration
    var name: String { "delete finished jobs" }
    var interval: Duration { configuration.interval }

    func run(_ context: MaintenanceContext) async throws {
        let configuration = self.configuration
        try await context.connection.run { connection in
            try connection.execute("""
                DELETE FROM job_workers WHERE heartbeat_at < now() - \(configuration.deadWorkerTimeout.wholeMilliseconds) * interval '1 millisecond'
                """)
            try Self.deleteFinished(retainCompleted: configuration.retainCompleted, retainDead: configuration.retainDead,
                                    batch: configuration.batch, on: connection)
            try connection.execute("DELETE FROM job_throughput WHERE bucket < now() - interval '1 hour'")
        }
    }

    /// Deletes up to `batch` finished jobs kept longer than their retention.
    static func deleteFinished(retainCompleted: Duration, retainDead: Duration, batch: Int = 10_000,
                               on connection: isolated PostgresConnection) throws {
        try connection.execute("""
            DELETE FROM jobs WHERE ctid = ANY (ARRAY(
                SELECT ctid FROM jobs
                 WHERE (state = 'completed' AND finished_at < now() - \(retainCompleted.wholeMilliseconds) * interval '1 millisecond')
                    OR (state IN ('dead', 'cancelled') AND finished_at < now() - \(retainDead.wholeMilliseconds) * interval '1 millisecond')
                 LIMIT \(batch)))
            """)
    }
}

/// Reports each queue's jobs by state (`switchboard_queue_depth`) and the age of its oldest
/// available job (`switchboard_queue_oldest_age_seconds`), as the leader sees them.
struct QueueDepthReporter: MaintenanceChore {
    struct Configuration: Sendable {
        var interval: Duration = .seconds(10)
    }

    let configuration: Configuration
    var name: String { "report queue depths" }
    var interval: Duration { configuration.interval }

    func run(_ context: MaintenanceContext) async throws {
        let (counts, oldest) = try await context.connection.run { connection -> ([(queue: String, state: String, count: Int)], [String: Double]) in
            let counts = try connection.query("""
                SELECT queue, state, count(*) FROM jobs WHERE state IN ('available', 'scheduled', 'running') GROUP BY queue, state
                """).map { (queue: try $0.decode(String.self, at: 0), state: try $0.decode(String.self, at: 1), count: try $0.decode(Int.self, at: 2)) }
            var oldest: [String: Double] = [:]
            for row in try connection.query("""
                SELECT queue, extract(epoch FROM now() - min(run_at))::float8 FROM jobs WHERE state = 'available' GROUP BY queue
                """) {
                oldest[try row.decode(String.self, at: 0)] = max(0, try row.decode(Double.self, at: 1))
            }
            return (counts, oldest)
        }
        context.metrics.depths(counts, oldest: oldest)
    }
}
