public import JobQueue
public import Postgres
import Helpdesk

/// The notification worker's job handler, for a `JobWorker` running the `notify` queue.
public enum NotifyWorker {
    /// Registers `notify`: each job sends its outbox row through `notifier`; a row that must wait
    /// (not due, failed for now, no provider yet) snoozes its job until then. And `notify_sweep`:
    /// the notices the clock alone triggers (`notify_sweep()`).
    public static func register(into registry: inout JobRegistry, pool: PostgresPool, notifier: Notifier = Notifier()) {
        registry.register(HelpdeskJobs.notify) { args, _ in
            switch try await notifier.send(args.outboxID, pool: pool) {
            case .sent, .alreadyDone, .failed, .suppressed: return
            case .later(let wait): throw JobSnooze(wait)
            }
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
