import Postgres

/// Enqueues the periodic jobs of `job_schedules` (cron) whose tick has come, once per tick
/// across the cluster; a schedule that cannot run is reported once, not at every tick.
final class PeriodicJobEnqueuer: MaintenanceChore, @unchecked Sendable {
    struct Configuration: Sendable {
        /// How often: cron's finest unit is a second.
        var interval: Duration = .seconds(1)
    }

    let configuration: Configuration
    var name: String { "enqueue periodic jobs" }
    var interval: Duration { configuration.interval }
    /// Only the maintenance loop's task touches it.
    private var reported: [String: String] = [:]

    init(configuration: Configuration) {
        self.configuration = configuration
    }

    func run(_ context: MaintenanceContext) async throws {
        let ticks = try await context.connection.run { connection in try await JobSchedules.enqueueDueTicks(on: connection) }
        if ticks.enqueued > 0 { context.logger.debug("enqueued periodic jobs", metadata: ["count": "\(ticks.enqueued)"]) }
        for (name, problem) in ticks.invalid where reported[name] != problem {
            context.logger.error("schedule '\(name)' is skipped: \(problem)")
        }
        reported = ticks.invalid
    }
}
