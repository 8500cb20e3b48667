public import JobQueue
public import Postgres
import Helpdesk
public import Logging

/// The survey worker's job handler, for a `JobWorker` running the `surveys` queue: each `survey`
/// job decides one due survey in SQL (`survey_send()`): an outbox row for the notification
/// worker, or the survey skipped with its reason.
public enum SurveyWorker {
    /// Registers `survey`.
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
    }
}
