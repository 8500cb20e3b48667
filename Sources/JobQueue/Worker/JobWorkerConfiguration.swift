import Foundation

/// How a worker process runs. The defaults suit most deployments; docs/queue.md explains tuning.
public struct JobWorkerConfiguration: Sendable {
    /// Queue name → how many of its jobs run at once in this process.
    public var queues: [String: Int]
    /// Jobs claimed per statement at most (a claim never asks for more than the free slots).
    public var claimBatchLimit: Int = 100
    /// Outcomes written per statement at most.
    public var completionBatchLimit: Int = 1_000
    /// How often an idle queue is polled when no notification arrives.
    public var pollInterval: Duration = .seconds(1)
    /// false: never LISTEN, only poll (for PgBouncer in transaction pooling mode).
    public var listen: Bool = true
    /// How long a claimed job stays locked without a heartbeat.
    public var lease: Duration = .seconds(15)
    /// How long shutdown waits for running jobs before giving them back.
    public var shutdownGrace: Duration = .seconds(10)
    /// Keep completed jobs this long (0: delete at once).
    public var retainCompleted: Duration = .zero
    /// Keep dead and cancelled jobs this long.
    public var retainDead: Duration = .seconds(7 * 24 * 3600)
    /// Take part in leader election (maintenance, cron). At least one process per cluster must.
    public var participatesInLeadership: Bool = true
    /// The leader's lease; a dead leader is replaced within about this long.
    public var leaderLease: Duration = .seconds(5)
    /// The leader vacuums `jobs` when its dead tuples exceed this and outnumber its live rows
    /// (0: leave it all to autovacuum).
    public var vacuumThreshold: Int = 100_000
    /// A worker whose heartbeat is older than this is gone; the leader removes its row.
    /// Default: three leases, at least 30 s.
    public var deadWorkerTimeout: Duration?
    /// How often the leader promotes due scheduled jobs.
    public var promotionInterval: Duration = .milliseconds(200)
    /// Prefix of the `application_name` of this worker's sessions (`<label>-claim`,
    /// `-listener`, `-leader`, `-worker`), to find them in `pg_stat_activity`.
    public var connectionLabel: String = "switchboard"
    /// Reported in the workers table.
    public var host: String = ProcessInfo.processInfo.hostName

    public init(queues: [String: Int]) {
        self.queues = queues
    }

    var heartbeatInterval: Duration { lease / 3 }

    /// Throws a ``JobQueueError`` saying what is wrong with the configuration.
    public func validate() throws {
        guard !queues.isEmpty else { throw JobQueueError(.invalidConfiguration, "a worker needs at least one queue") }
        for (queue, concurrency) in queues where concurrency < 1 || queue.isEmpty {
            throw JobQueueError(.invalidConfiguration, "queue '\(queue)' needs a name and a concurrency of at least 1, got \(concurrency)")
        }
        guard claimBatchLimit >= 1, completionBatchLimit >= 1 else { throw JobQueueError(.invalidConfiguration, "batch limits must be at least 1") }
        guard lease >= .seconds(1) else { throw JobQueueError(.invalidConfiguration, "the lease must be at least 1 s") }
        guard leaderLease >= .seconds(1) else { throw JobQueueError(.invalidConfiguration, "the leader lease must be at least 1 s") }
    }
}
