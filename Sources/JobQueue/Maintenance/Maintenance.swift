import Postgres
import Logging

/// What a chore gets to work with: the leader's connection, the logger and the metrics.
struct MaintenanceContext: Sendable {
    let connection: ManagedConnection
    let logger: Logger
    let metrics: JobMetrics
}

/// One of the leader's recurring chores, each in a file of its own with its configuration and
/// defaults at the top (River's maintenance services are the model).
protocol MaintenanceChore: Sendable {
    /// For the log, when the chore fails.
    var name: String { get }
    /// How often it runs while this process leads.
    var interval: Duration { get }
    func run(_ context: MaintenanceContext) async throws
}

/// The leader's loop. Every worker process runs one and takes part in ``LeaderElection``; only
/// the holder of the lease runs the chores, each when its interval has passed, one after the
/// other on the leader's connection. A failing chore is logged and tried again at its next turn.
struct Maintenance: Sendable {
    let election: LeaderElection
    let chores: [any MaintenanceChore]
    let context: MaintenanceContext
    let workerID: @Sendable () -> Int64?
    let isStopping: @Sendable () -> Bool
    let wake: WakeSignal
    /// Stopped with the loop (its VACUUM may still be running).
    let vacuum: JobsVacuum

    /// The chores of a worker configured as `configuration`, in the order they run.
    static func chores(for configuration: JobWorkerConfiguration, vacuum: JobsVacuum) -> [any MaintenanceChore] {
        [
            ScheduledJobPromoter(configuration: .init(interval: configuration.promotionInterval)),
            LeaseRescuer(configuration: .init()),
            vacuum,
            PeriodicJobEnqueuer(configuration: .init()),
            RetentionCleaner(configuration: .init(retainCompleted: configuration.retainCompleted, retainDead: configuration.retainDead,
                                                  deadWorkerTimeout: configuration.deadWorkerTimeout ?? max(configuration.lease * 3, .seconds(30)))),
            QueueDepthReporter(configuration: .init()),
        ]
    }

    func run() async {
        var leadership = Leadership()
        var lastRenew: ContinuousClock.Instant?
        var lastRun: [ContinuousClock.Instant?] = Array(repeating: nil, count: chores.count)
        let logger = context.logger
        let lease = election.configuration.lease
        while !isStopping() {
            let now = ContinuousClock.now
            if let id = workerID(), lastRenew.map({ now - $0 >= election.configuration.renewInterval }) ?? true {
                lastRenew = now
                do {
                    let (held, newly) = try await context.connection.run { connection in
                        try LeaderElection.renew(worker: id, lease: lease, on: connection)
                    }
                    switch leadership.renewed(held: held, newly: newly, at: now, lease: lease) {
                    case .elected: logger.notice("elected leader", metadata: ["worker.id": "\(id)"])
                    case .lost: logger.warning("lost leadership", metadata: ["worker.id": "\(id)"])
                    case .none: break
                    }
                } catch {
                    // The lease runs out on its own: this process stops leading when it does.
                    logger.warning("leader election failed: \(error)")
                }
            }
            if leadership.isLeading(at: .now) {
                for (index, chore) in chores.enumerated() where lastRun[index].map({ now - $0 >= chore.interval }) ?? true {
                    guard leadership.isLeading(at: .now), !isStopping() else { break }
                    lastRun[index] = now
                    do {
                        try await chore.run(context)
                    } catch {
                        logger.warning("maintenance failed: \(chore.name): \(error)")
                    }
                }
            }
            let shortest = chores.map(\.interval).min() ?? election.configuration.renewInterval
            await wake.wait(timeout: leadership.isLeading(at: .now) ? shortest : election.configuration.renewInterval)
        }
        if leadership.isLeading(at: .now), let id = workerID() {
            _ = try? await context.connection.run { connection in try LeaderElection.resign(worker: id, on: connection) }
        }
        await vacuum.stop()
        await context.connection.drop()
    }
}
