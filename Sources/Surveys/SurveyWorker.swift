public import JobQueue
public import Postgres
import Helpdesk
public import Logging

/// The survey worker's job handlers, for a `JobWorker` running the `surveys` queue: each `survey`
/// job decides one due survey in SQL (`survey_send()`): an outbox row for the notification
/// worker, or the survey skipped with its reason; `service_facts_refresh` brings the service
/// metrics' kept facts up to date (`service_facts_refresh()`).
public enum SurveyWorker {
    /// Stale marks read per transaction of a refresh (their conversations are recomputed).
    public static let refreshBatch = 5_000
    /// How long one refresh job goes on taking batches; the next tick takes the rest.
    public static let refreshBudget = Duration.seconds(30)

    /// Registers `survey` and `service_facts_refresh`.
    public static func register(into registry: inout JobRegistry, pool: PostgresPool, logger: Logger = Logger(label: "switchboard.surveys")) {
        registry.register(HelpdeskJobs.survey) { args, _ in
            let outcome = try await pool.withConnection { connection in
                try await connection.retryingTransient { connection in
                    try connection.query("SELECT survey_send(\(args.surveyID))").first?.decode(String?.self, at: 0)
                }
            }
            if let outcome, outcome != "queued" {
                logger.info("survey not sent", metadata: ["survey.id": "\(args.surveyID)", "outcome": "\(outcome)"])
            }
        }
        registry.register(HelpdeskJobs.serviceFactsRefresh) { _, context in
            let refreshed = try await refreshFacts(pool: pool)
            if refreshed > 0 { context.logger.debug("service facts refreshed", metadata: ["conversations": "\(refreshed)"]) }
        }
    }

    /// Recomputes stale conversations in batches until none are left or the budget is spent;
    /// returns how many it recomputed.
    public static func refreshFacts(pool: PostgresPool, budget: Duration = refreshBudget) async throws -> Int {
        let clock = ContinuousClock(), deadline = clock.now + budget
        var taken = 0
        while clock.now < deadline {
            let batch = try await pool.withConnection { connection in
                try await connection.retryingTransient { connection in
                    try connection.query("SELECT service_facts_refresh(\(refreshBatch)::integer)").scalar(Int.self)
                }
            }
            taken += batch
            if batch == 0 { break }
        }
        return taken
    }

    /// Name of the schedule that enqueues `service_facts_refresh` every minute on the surveys queue.
    public static let refreshScheduleName = "service_facts_refresh"

    /// Creates (or refreshes) the schedule of the facts refresh. Survey workers install it when
    /// they start; without one the metrics stay exact, read live for every stale conversation.
    public static func installRefreshSchedule(on connection: isolated PostgresConnection) throws {
        try JobSchedules.upsert(name: refreshScheduleName, cron: "* * * * *", HelpdeskJobs.serviceFactsRefresh,
                                ServiceFactsRefreshJobArguments(), queue: HelpdeskJobs.surveysQueue, on: connection)
    }
}
