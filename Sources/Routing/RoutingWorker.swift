public import JobQueue
public import Postgres
public import Logging
import Helpdesk

/// The routing worker's job handlers, for a `JobWorker` running the `route` queue.
public enum RoutingWorker {
    /// Conversations per routing transaction at most, unless `switchboard worker --route-batch` says otherwise.
    public static let defaultBatchSize = 32
    /// Routing batches at once per process. One: batches side by side compete for the same
    /// round robin teams and agents, and two lanes measured slower on two cores
    /// (docs/routing.md, "Batches"); scale with processes.
    public static let defaultLanes = 1

    /// Registers `route` and `sla_check` (the leader's schedule enqueues it every minute, see
    /// ``installSLASchedule(on:)``). The conversations of concurrently running route jobs are
    /// routed in batches of up to `batchSize`, `lanes` batches at a time; a conversation a batch
    /// could not decide without waiting goes into the next one, and after two such deferrals is
    /// routed alone, waiting. Both take connections from `pool`.
    public static func register(into registry: inout JobRegistry, pool: PostgresPool, batchSize: Int = defaultBatchSize, lanes: Int = defaultLanes,
                                logger: Logger = Logger(label: "switchboard.routing")) {
        let router = Router(logger: logger)
        let batcher = JobBatcher<RoutingDecision?>(maximumBatch: batchSize, lanes: lanes, runBatch: { ids, insist in
            if insist {
                // Alone and waiting: route_conversation waits for the locks a batch skips.
                var results: [Int64: JobBatcher<RoutingDecision?>.ItemResult] = [:]
                for id in ids {
                    do {
                        results[id] = .finished(.success(try await routeAlone(id, router: router, pool: pool)))
                    } catch {
                        results[id] = .finished(.failure(error))
                    }
                }
                return results
            }
            let routed = try await pool.withConnection { connection in try await router.route(batch: ids, on: connection) }
            return routed.mapValues { routing -> JobBatcher<RoutingDecision?>.ItemResult in
                switch routing {
                case .decided(let decision): .finished(.success(decision))
                case .skipped: .finished(.success(nil))
                case .deferred: .deferred
                case .missing: .finished(.failure(JobDiscard("no such conversation (erased)")))
                }
            }
        }, runAlone: { id in try await routeAlone(id, router: router, pool: pool) })
        registry.register(HelpdeskJobs.route) { args, _ in
            _ = try await batcher.submit(args.conversationID)
        }
        registry.register(HelpdeskJobs.slaCheck) { _, context in
            let marked = try await pool.withConnection { connection in try await router.checkSLA(on: connection) }
            if marked > 0 { context.logger.info("SLA breaches marked", metadata: ["breaches": "\(marked)"]) }
        }
    }

    private static func routeAlone(_ id: Int64, router: Router, pool: PostgresPool) async throws -> RoutingDecision? {
        do {
            return try await pool.withConnection { connection in try await router.route(id, on: connection) }
        } catch let error as PostgresError where error.code == .noDataFound {
            // The conversation is gone (erased): nothing a retry could fix.
            throw JobDiscard(error.message)
        }
    }

    /// Name of the schedule that enqueues `sla_check` every minute on the route queue.
    public static let slaScheduleName = "sla_check"

    /// Creates (or refreshes) the schedule of the SLA check. Routing workers install it when they
    /// start, so a deployment without routing workers never piles up SLA jobs nobody runs.
    public static func installSLASchedule(on connection: isolated PostgresConnection) throws {
        try JobSchedules.upsert(name: slaScheduleName, cron: "* * * * *", HelpdeskJobs.slaCheck, SLACheckJobArguments(),
                                queue: HelpdeskJobs.routeQueue, on: connection)
    }
}
