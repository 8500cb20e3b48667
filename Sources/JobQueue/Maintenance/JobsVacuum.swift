import Postgres
import Logging
import Synchronization

/// Vacuums `jobs` when dead tuples pile up faster than autovacuum can visit: autovacuum looks at
/// each database only every `autovacuum_naptime` (a minute by default, a server-wide setting),
/// and a busy queue makes millions of dead tuples in that time, every one of them in front of the
/// claim index. The leader checks the table's statistics every second and runs a plain VACUUM
/// (which blocks no reads or writes) on a connection of its own, one at a time.
final class JobsVacuum: MaintenanceChore {
    struct Configuration: Sendable {
        var interval: Duration = .seconds(1)
        /// Vacuum once dead tuples exceed both this and the live rows (0: leave it to autovacuum).
        var threshold = 100_000
    }

    let configuration: Configuration
    var name: String { "vacuum jobs" }
    var interval: Duration { configuration.interval }
    private let connection: ManagedConnection
    private let logger: Logger
    private let running = Mutex<Task<Void, Never>?>(nil)

    init(configuration: Configuration, connection: ManagedConnection, logger: Logger) {
        self.configuration = configuration
        self.connection = connection
        self.logger = logger
    }

    func run(_ context: MaintenanceContext) async throws {
        let threshold = configuration.threshold
        if threshold <= 0 || running.withLock({ $0 != nil }) { return }
        guard let dead = try await context.connection.run({ connection -> Int? in
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
