/// Where a worker process is in its life, and what each phase allows: a pure state machine, so
/// the shutdown rules are tested without a database.
///
/// ```
/// running ──drain()──▶ draining ──stop()──▶ stopped
///    └──────────────stop()───────────────────▲
/// ```
enum WorkerPhase: Equatable, Sendable {
    /// Claiming and running jobs, writing outcomes and heartbeats.
    case running
    /// SIGTERM (or `beginDraining()`): no new claims; running jobs finish within the grace
    /// period or are given back; outcomes and heartbeats go on.
    case draining
    /// Every outcome written (or given up on): heartbeats and outcome writing end.
    case stopped

    /// New jobs may be claimed.
    var claims: Bool { self == .running }
    /// Outcomes are written and leases renewed.
    var writesOutcomes: Bool { self != .stopped }
    /// Shutdown has begun.
    var isShuttingDown: Bool { self != .running }

    /// Begins draining; true only the first time, so the shutdown sequence starts once.
    mutating func drain() -> Bool {
        guard self == .running else { return false }
        self = .draining
        return true
    }

    /// Ends outcome writing; claiming too, if the worker was still running.
    mutating func stop() {
        self = .stopped
    }
}
