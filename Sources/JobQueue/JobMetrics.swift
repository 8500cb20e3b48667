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
    private let counters = Mutex<[Key: Counter]>([:])
    private let timers = Mutex<[Key: Metrics.Timer]>([:])
    private let gauges = Mutex<[Key: Gauge]>([:])

    private func counter(_ label: String, _ queue: String) -> Counter {
        let key = Key(label: label, queue: queue, kind: "")
        return counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let dimensions = [("queue", queue)]
            let counter = factory.map { Counter(label: label, dimensions: dimensions, factory: $0) } ?? Counter(label: label, dimensions: dimensions)
            cache[key] = counter
            return counter
        }
    }

    private func timer(_ label: String, _ queue: String, kind: String = "") -> Metrics.Timer {
        let key = Key(label: label, queue: queue, kind: kind)
        return timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let dimensions = kind.isEmpty ? [("queue", queue)] : [("queue", queue), ("kind", kind)]
            let timer = factory.map { Metrics.Timer(label: label, dimensions: dimensions, factory: $0) }
                ?? Metrics.Timer(label: label, dimensions: dimensions)
            cache[key] = timer
            return timer
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
        let key = Key(label: "switchboard_jobs_available", queue: queue, kind: "")
        let gauge = gauges.withLock { cache in
            if let gauge = cache[key] { return gauge }
            let dimensions = [("queue", queue)]
            let gauge = factory.map { Gauge(label: key.label, dimensions: dimensions, factory: $0) } ?? Gauge(label: key.label, dimensions: dimensions)
            cache[key] = gauge
            return gauge
        }
        gauge.record(depth)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
