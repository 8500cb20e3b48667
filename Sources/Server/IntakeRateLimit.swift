import Synchronization

/// A token bucket per integration: `burst` requests at once, refilled at `ratePerSecond`. Per
/// process: with several `serve` replicas each allows the rate (docs/operations.md).
final class IntakeRateLimit: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])

    /// Takes a token for `integration`; when none is left, how long until one is.
    func take(for integration: IntakeIntegration, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            let rate = integration.ratePerSecond
            let burst = Double(integration.burst)
            var bucket = buckets[integration.name] ?? Bucket(tokens: burst, updated: now)
            let elapsed = Double((now - bucket.updated).components.seconds) + Double((now - bucket.updated).components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
            bucket.updated = now
            defer { buckets[integration.name] = bucket }
            guard bucket.tokens >= 1 else { return .milliseconds(Int64(((1 - bucket.tokens) / rate * 1000).rounded(.up))) }
            bucket.tokens -= 1
            return nil
        }
    }
}
