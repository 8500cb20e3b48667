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

/// Reports each queue's backlog (`switchboard_jobs_available`), as the leader sees it.
struct QueueDepthReporter: MaintenanceChore {
    struct Configuration: Sendable {
        var interval: Duration = .seconds(10)
    }

    let configuration: Configuration
    var name: String { "report queue depths" }
    var interval: Duration { configuration.interval }

    func run(_ context: MaintenanceContext) async throws {
        let depths = try await context.connection.run { connection -> [(String, Int)] in
            try connection.query("SELECT queue, count(*) FROM jobs WHERE state = 'available' GROUP BY queue").map {
                (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1))
            }
        }
        for (queue, depth) in depths { context.metrics.depth(queue: queue, depth) }
    }
}
