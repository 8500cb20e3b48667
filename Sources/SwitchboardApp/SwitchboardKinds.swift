public import Categories
import Ingest
import Notify
public import JobQueue
import Logging
public import Postgres
import Routing
import Surveys

/// The job kinds a Switchboard worker runs: the queue's own no-op, and each worker role's kinds
/// (ingest, routing, notify and surveys).
public enum SwitchboardKinds {
    public struct Empty: Codable, Sendable {
        public init() {}
    }

    /// Does nothing: for benchmarks and for checking that a deployment's workers run jobs.
    public static let noop = JobKind<Empty>("switchboard.noop", timeout: .seconds(10))

    /// Every handler; those that need the database take connections from `pool`. Ingest takes
    /// its category model from `categories`.
    public static func registry(pool: PostgresPool, ingest: WorkerRoleConfiguration.Ingest = .init(),
                                routing: WorkerRoleConfiguration.Routing = .init(),
                                notify: WorkerRoleConfiguration.Notify = .init(),
                                categories: CategoryModelCache = CategoryModelCache()) -> JobRegistry {
        var registry = JobRegistry()
        registry.register(noop) { _, _ in }
        IngestWorker.register(into: &registry, pool: pool, batchSize: ingest.batchSize, lanes: ingest.lanes, categories: categories,
                              logger: Logger(label: "switchboard.ingest"))
        RoutingWorker.register(into: &registry, pool: pool, batchSize: routing.batchSize, lanes: routing.lanes,
                               logger: Logger(label: "switchboard.routing"))
        NotifyWorker.register(into: &registry, pool: pool, notifier: Notifier(logger: Logger(label: "switchboard.notify")),
                              batchSize: notify.batchSize, lanes: notify.lanes, gather: notify.gather)
        SurveyWorker.register(into: &registry, pool: pool)
        return registry
    }
}
