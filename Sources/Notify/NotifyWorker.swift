import Metrics
public import JobQueue
public import Postgres
import Helpdesk

/// The notification worker's job handler, for a `JobWorker` running the `notify` queue.
public enum NotifyWorker {
    /// Outbox rows sent in one batch at most, unless `switchboard worker --notify-batch` says otherwise.
    public static let defaultBatchSize = 32
    /// Notify batches at once per process (`--notify-lanes`).
    public static let defaultLanes = 4
    /// How long a short batch waits for more rows while another batch is under way
    /// (`--notify-gather-ms`): about the time the job worker takes to claim the next jobs after a
    /// batch ends, so they go together rather than the first of them alone.
    public static let defaultGather: Duration = .milliseconds(5)

    /// Registers `notify`: each job sends its outbox row through `notifier` — the rows of
    /// concurrently running jobs together, in batches of up to `batchSize`, `lanes` batches at a
    /// time, a short batch waiting up to `gather` for more while another is under way; a row that
    /// must wait (not due, failed for now, no provider yet) snoozes its job until then. And
    /// `notify_sweep`: the notices the clock alone triggers (`notify_sweep()`).
    public static func register(into registry: inout JobRegistry, pool: PostgresPool, notifier: Notifier = Notifier(),
                                batchSize: Int = defaultBatchSize, lanes: Int = defaultLanes, gather: Duration = defaultGather) {
        let batcher = JobBatcher<NotifyOutcome>(maximumBatch: batchSize, lanes: lanes, gather: gather, runBatch: { ids, _ in
            try await notifier.send(batch: ids, pool: pool).mapValues { .finished($0) }
        }, runAlone: { id in
            try await notifier.send(id, pool: pool)
        })
        registry.register(HelpdeskJobs.notify) { args, _ in
            let outcome = try await batcher.submit(args.outboxID)
            OutboxMetrics.shared.count(outcome)
            if case .later(let wait) = outcome { throw JobSnooze(wait) }
        }
        registry.register(HelpdeskJobs.notifySweep) { _, _ in
            let written = try await pool.withConnection { connection in
                try await connection.retryingTransient { connection in try connection.query("SELECT notify_sweep()").scalar(Int.self) }
            }
            if written > 0 { notifier.logger.info("the sweep wrote notices", metadata: ["notices": "\(written)"]) }
        }
    }

    /// Name of the schedule that enqueues `notify_sweep` every five minutes on the notify queue.
    public static let sweepScheduleName = "notify_sweep"

    /// Creates (or refreshes) the sweep's schedule. Notification workers install it when they
    /// start, so a deployment without them never piles up sweeps nobody runs.
    public static func installSweepSchedule(on connection: isolated PostgresConnection) throws {
        try JobSchedules.upsert(name: sweepScheduleName, cron: "*/5 * * * *", HelpdeskJobs.notifySweep, NotifySweepJobArguments(),
                                queue: HelpdeskJobs.notifyQueue, on: connection)
    }
}

/// `switchboard_outbox_total{outcome}`: what each attempt at an outbox row came to — `sent`,
/// `later` (not due, failed for now, or waiting for a provider), `failed`, `suppressed`,
/// `already_done`. Made once, after the process chose its metrics backend.
final class OutboxMetrics: Sendable {
    static let shared = OutboxMetrics()
    private let counters: [String: Counter]

    private init() {
        var counters: [String: Counter] = [:]
        for outcome in ["sent", "later", "failed", "suppressed", "already_done"] {
            counters[outcome] = Counter(label: "switchboard_outbox_total", dimensions: [("outcome", outcome)])
        }
        self.counters = counters
    }

    func count(_ outcome: NotifyOutcome) {
        let name = switch outcome {
        case .sent: "sent"
        case .later: "later"
        case .failed: "failed"
        case .suppressed: "suppressed"
        case .alreadyDone: "already_done"
        }
        counters[name]?.increment()
    }
}
