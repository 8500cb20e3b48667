import Metrics
import Synchronization

/// The queue's swift-metrics instruments. Labels are `switchboard_jobs_*`; dimensions are the
/// queue (and the kind for run time). Instruments are made once per label set and reused.
final class JobMetrics: Sendable {
    static let shared = JobMetrics(factory: nil)

    /// nil: the factory `MetricsSystem` was bootstrapped with.
    private let factory: (any MetricsFactory & Sendable)?

    init(factory: (any MetricsFactory & Sendable)?) {
        self.factory = factory
    }

    private struct Key: Hashable { let label: String; let queue: String; let kind: String }
    private let instruments = Mutex<[Key: any Sendable]>([:])

    /// The instrument for `label` and its dimensions, made by `make` the first time.
    private func instrument<T: Sendable>(_ label: String, queue: String, kind: String = "",
                                         _ make: ([(String, String)]) -> T) -> T {
        let key = Key(label: label, queue: queue, kind: kind)
        return instruments.withLock { cache in
            if let existing = cache[key] as? T { return existing }
            let made = make(kind.isEmpty ? [("queue", queue)] : [("queue", queue), ("kind", kind)])
            cache[key] = made
            return made
        }
    }

    private func counter(_ label: String, _ queue: String) -> Counter {
        instrument(label, queue: queue) { dimensions in
            factory.map { Counter(label: label, dimensions: dimensions, factory: $0) } ?? Counter(label: label, dimensions: dimensions)
        }
    }

    private func timer(_ label: String, _ queue: String, kind: String = "") -> Metrics.Timer {
        instrument(label, queue: queue, kind: kind) { dimensions in
            factory.map { Metrics.Timer(label: label, dimensions: dimensions, factory: $0) } ?? Metrics.Timer(label: label, dimensions: dimensions)
        }
    }

    func enqueued(queue: String, _ count: Int) { counter("switchboard_jobs_enqueued_total", queue).increment(by: count) }
    func claimed(queue: String, _ count: Int) { counter("switchboard_jobs_claimed_total", queue).increment(by: count) }
    func completed(queue: String, _ count: Int) { counter("switchboard_jobs_completed_total", queue).increment(by: count) }
    func failed(queue: String, _ count: Int) { counter("switchboard_jobs_failed_total", queue).increment(by: count) }
    func dead(queue: String, _ count: Int) { counter("switchboard_jobs_dead_total", queue).increment(by: count) }

    func runTime(queue: String, kind: String, _ duration: Duration) {
        timer("switchboard_jobs_run_seconds", queue, kind: kind).recordNanoseconds(duration.nanoseconds)
    }

    func queueWait(queue: String, seconds: Double) {
        timer("switchboard_jobs_queue_wait_seconds", queue).recordNanoseconds(Int64(max(0, seconds) * 1e9))
    }

    func depth(queue: String, _ depth: Int) {
        let label = "switchboard_jobs_available"
        instrument(label, queue: queue) { dimensions in
            factory.map { Gauge(label: label, dimensions: dimensions, factory: $0) } ?? Gauge(label: label, dimensions: dimensions)
        }.record(depth)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
