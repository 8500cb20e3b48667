public import JobQueue
public import Postgres
import Helpdesk

/// The notification worker's job handler, for a `JobWorker` running the `notify` queue.
public enum NotifyWorker {
    /// Registers `notify`: each job sends its outbox row through `notifier`; a row that must wait
    /// (not due, failed for now, no provider yet) snoozes its job until then.
    public static func register(into registry: inout JobRegistry, pool: PostgresPool, notifier: Notifier = Notifier()) {
        registry.register(HelpdeskJobs.notify) { args, _ in
            switch try await notifier.send(args.outboxID, pool: pool) {
            case .sent, .alreadyDone, .failed, .suppressed: return
            case .later(let wait): throw JobSnooze(wait)
            }
        }
    }
}
