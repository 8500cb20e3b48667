import Ingest
import JobQueue
import Logging
import Postgres
import Routing

/// The job kinds this binary runs: the queue's own no-op, and each worker role's kinds
/// (ingest and routing now; notify and survey join here).
enum SwitchboardKinds {
    struct Empty: Codable, Sendable {}

    /// Does nothing: for benchmarks and for checking that a deployment's workers run jobs.
    static let noop = JobKind<Empty>("switchboard.noop", timeout: .seconds(10))

    /// Every handler; those that need the database take connections from `pool`. Inbound
    /// messages are ingested `ingestBatch` at a time at most, on `ingestLanes` connections;
    /// conversations routed `routeBatch` at a time at most, on `routeLanes` connections.
    static func registry(pool: PostgresPool, ingestBatch: Int = IngestWorker.defaultBatchSize, ingestLanes: Int = IngestWorker.defaultLanes,
                         routeBatch: Int = RoutingWorker.defaultBatchSize, routeLanes: Int = RoutingWorker.defaultLanes) -> JobRegistry {
        var registry = JobRegistry()
        registry.register(noop) { _, _ in }
        IngestWorker.register(into: &registry, pool: pool, batchSize: ingestBatch, lanes: ingestLanes,
                              logger: Logger(label: "switchboard.ingest"))
        RoutingWorker.register(into: &registry, pool: pool, batchSize: routeBatch, lanes: routeLanes,
                               logger: Logger(label: "switchboard.routing"))
        return registry
    }
}
