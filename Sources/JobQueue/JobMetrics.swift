import Metrics
import Synchronization

/// The queue's swift-metrics instruments, named as Prometheus expects (docs/operations.md,
/// "Metrics"): `switchboard_jobs_total{queue,kind,outcome}`,
/// `switchboard_job_duration_seconds{queue,kind}`, `switchboard_job_queue_wait_seconds{queue}`,
/// `switchboard_jobs_enqueued_total{queue}`, `switchboard_jobs_claimed_total{queue}`, and from the
/// leader `switchboard_queue_depth{queue,state}` and `switchboard_queue_oldest_age_seconds{queue}`.
/// Labels are bounded: queues and kinds are the program's, never data. Instruments are made once
/// per label set and reused.
final class JobMetrics: Sendable {
    static let shared = JobMetrics(factory: nil)

    /// How a run ended, as `outcome` on `switchboard_jobs_total`.
    enum Outcome: String {
        case completed, failed, dead, discarded, snoozed, cancelled, released
    }

    /// nil: the factory `MetricsSystem` was bootstrapped with.
    private let factory: (any MetricsFactory & Sendable)?

    init(factory: (any MetricsFactory & Sendable)?) {
        self.factory = factory
    }

    private struct Key: Hashable { let label: String; let dimensions: [String] }
    private let instruments = Mutex<[Key: any Sendable]>([:])
    /// The depth gauges reported last time, so a queue that empties reads 0, not its last backlog.
    private let reportedDepths = Mutex<Set<[String]>>([])

    /// The instrument for `label` and its dimensions, made by `make` the first time.
    private func instrument<T: Sendable>(_ label: String, _ dimensions: [(String, String)],
                                         _ make: ([(String, String)]) -> T) -> T {
        let key = Key(label: label, dimensions: dimensions.flatMap { [$0.0, $0.1] })
        return instruments.withLock { cache in
            if let existing = cache[key] as? T { return existing }
            let made = make(dimensions)
            cache[key] = made
            return made
        }
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        instrument(label, dimensions) { dimensions in
            factory.map { Counter(label: label, dimensions: dimensions, factory: $0) } ?? Counter(label: label, dimensions: dimensions)
        }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        instrument(label, dimensions) { dimensions in
            factory.map { Metrics.Timer(label: label, dimensions: dimensions, factory: $0) } ?? Metrics.Timer(label: label, dimensions: dimensions)
        }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        instrument(label, dimensions) { dimensions in
            factory.map { Gauge(label: label, dimensions: dimensions, factory: $0) } ?? Gauge(label: label, dimensions: dimensions)
        }
    }

    func enqueued(queue: String, _ count: Int) { counter("switchboard_jobs_enqueued_total", [("queue", queue)]).increment(by: count) }
    func claimed(queue: String, _ count: Int) { counter("switchboard_jobs_claimed_total", [("queue", queue)]).increment(by: count) }

    func finished(queue: String, kind: String, _ outcome: Outcome, _ count: Int = 1) {
        counter("switchboard_jobs_total", [("queue", queue), ("kind", kind), ("outcome", outcome.rawValue)]).increment(by: count)
    }

    func runTime(queue: String, kind: String, _ duration: Duration) {
        timer("switchboard_job_duration_seconds", [("queue", queue), ("kind", kind)]).recordNanoseconds(duration.nanoseconds)
    }

    func queueWait(queue: String, seconds: Double) {
        timer("switchboard_job_queue_wait_seconds", [("queue", queue)]).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    /// Jobs by queue and state, and the age of each queue's oldest available job (0 when none).
    func depths(_ counts: [(queue: String, state: String, count: Int)], oldest: [String: Double]) {
        var reported = Set<[String]>()
        for entry in counts {
            gauge("switchboard_queue_depth", [("queue", entry.queue), ("state", entry.state)]).record(entry.count)
            reported.insert([entry.queue, entry.state])
        }
        let queues = Set(counts.map(\.queue)).union(reportedDepths.withLock { Set($0.map { $0[0] }) })
        for queue in queues {
            gauge("switchboard_queue_oldest_age_seconds", [("queue", queue)]).record(oldest[queue] ?? 0)
        }
        let gone = reportedDepths.withLock { previous in
            defer { previous = reported }
            return previous.subtracting(reported)
        }
        for key in gone { gauge("switchboard_queue_depth", [("queue", key[0]), ("state", key[1])]).record(0) }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
