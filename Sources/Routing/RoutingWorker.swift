public import JobQueue
public import Postgres
public import Logging
import Helpdesk

/// The routing worker's job handlers, for a `JobWorker` running the `route` queue.
public enum RoutingWorker {
    /// Registers `route` (one conversation per job) and `sla_check` (the leader's schedule
    /// enqueues it every minute, see ``installSLASchedule(on:)``). Both take connections from `pool`.
    public static func register(into registry: inout JobRegistry, pool: PostgresPool,
                                logger: Logger = Logger(label: "switchboard.routing")) {
        let router = Router(logger: logger)
        registry.register(HelpdeskJobs.route) { args, _ in
            do {
                _ = try await pool.withConnection { connection in try await router.route(args.conversationID, on: connection) }
            } catch let error as PostgresError where error.sqlState == "P0002" {
                // The conversation is gone (erased): nothing a retry could fix.
                throw JobDiscard(error.message)
            }
        }
        registry.register(HelpdeskJobs.slaCheck) { _, context in
            let marked = try await pool.withConnection { connection in try await router.checkSLA(on: connection) }
            if marked > 0 { context.logger.info("SLA breaches marked", metadata: ["breaches": "\(marked)"]) }
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
