import Synchronization
import Postgres
import Logging
import Foundation

/// A level-triggered wake-up: signals that arrive while nobody waits are kept (once), so a burst
/// of notifications during a claim becomes exactly one more claim.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else { state.pending = true; return nil }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at the next signal (or at once if one is pending), or after `timeout`. Runs on
    /// the caller's actor, so a signal resumes the caller there directly.
    func wait(timeout: Duration, isolation: isolated (any Actor)? = #isolation) async {
        if state.withLock({ state in defer { state.pending = false }; return state.pending }) { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // One waiter at a time is the design; a second one replaces the first, which then
            // wakes spuriously rather than hanging.
            let (generation, displaced) = state.withLock { state -> (UInt64?, CheckedContinuation<Void, Never>?) in
                if state.pending { state.pending = false; return (nil, nil) }
                state.generation &+= 1
                defer { state.waiter = continuation }
                return (state.generation, state.waiter)
            }
            displaced?.resume()
            guard let generation else { return continuation.resume() }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
                    guard state.generation == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume()
            }
        }
    }
}

/// A connection that is opened on first use and again after it breaks, with the queue's session
/// settings (``WorkerStatements/sessionSettings``). Loops that share one (outcome writes and
/// heartbeats) also share a connect in progress instead of racing to open two.
final class ManagedConnection: Sendable {
    private let configuration: PostgresConfiguration
    private let logger: Logger
    private enum Slot {
        case none
        case connecting(Task<PostgresConnection, any Error>)
        case open(PostgresConnection)
    }
    private let slot = Mutex<Slot>(.none)
    private let asynchronousCommit: Bool

    /// `asynchronousCommit`: the session's commits return before their WAL reaches disk. Only
    /// for state a server crash may roll back safely (see docs/queue.md, "Commits").
    init(configuration: PostgresConfiguration, logger: Logger, asynchronousCommit: Bool = false) {
        self.configuration = configuration
        self.logger = logger
        self.asynchronousCommit = asynchronousCommit
    }

    func get() async throws -> PostgresConnection {
        enum Next { case ready(PostgresConnection), wait(Task<PostgresConnection, any Error>, stale: PostgresConnection?) }
        let next = slot.withLock { slot -> Next in
            var stale: PostgresConnection?
            switch slot {
            case .open(let connection) where !connection.isBroken:
                return .ready(connection)
            case .connecting(let task):
                return .wait(task, stale: nil)
            case .open(let broken):
                stale = broken
            case .none:
                break
            }
            let task = Task { [configuration, logger, asynchronousCommit] in
                let connection = try await PostgresConnection.connect(configuration, logger: logger)
                let settings = WorkerStatements.sessionSettings + (asynchronousCommit ? [("synchronous_commit", "off")] : [])
                do { try await connection.useSettings(settings) } catch {
                    await connection.close()
                    throw error
                }
                return connection
            }
            slot = .connecting(task)
            return .wait(task, stale: stale)
        }
        let task: Task<PostgresConnection, any Error>, stale: PostgresConnection?
        switch next {
        case .ready(let connection): return connection
        case .wait(let connecting, let broken): (task, stale) = (connecting, broken)
        }
        if let stale { await stale.close() }
        do {
            let connection = try await task.value
            slot.withLock { slot in
                if case .connecting = slot { slot = .open(connection) }
            }
            return connection
        } catch {
            slot.withLock { slot in
                if case .connecting = slot { slot = .none }
            }
            throw error
        }
    }

    /// Runs `body` isolated to the connection; a connection-level failure drops it so the next
    /// call reconnects.
    func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await get()
        do {
            return try await connection.run(body)
        } catch let error as PostgresError where error.isConnectionFailure || connection.isBroken {
            await drop()
            throw error
        }
    }

    func drop() async {
        let previous = slot.withLock { slot -> PostgresConnection? in
            defer { slot = .none }
            if case .open(let connection) = slot { return connection }
            return nil
        }
        if let previous { await previous.close() }
    }
}

/// Doubles from `initial` to `maximum`; reset after a success.
struct Backoff {
    let initial: Duration
    let maximum: Duration
    private var next: Duration

    init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
        self.next = initial
    }

    mutating func reset() { next = initial }

    mutating func sleep() async {
        try? await Task.sleep(for: next)
        next = min(next * 2, maximum)
    }
}

/// How a run ended, to be written back to the job's row.
enum JobOutcome: Sendable {
    case completed
    /// A failed attempt: retried after `retryDelay`, or dead when attempts are used up.
    case failed(error: String, retryDelay: Duration)
    /// Dead at once (no handler, arguments that do not decode, `JobDiscard`).
    case discarded(error: String)
    case snoozed(Duration)
    /// Stopped at an operator's request.
    case cancelled
    /// Given back unfinished at shutdown, without counting the attempt.
    case released
}

/// A claimed job from claim to outcome. The first `finish` wins; whatever the handler does after
/// a timeout, cancel request or shutdown is ignored.
final class JobRun: Sendable {
    let job: ClaimedJob
    let deadline: ContinuousClock.Instant
    let startedAt = ContinuousClock.now
    private let state = Mutex<(task: Task<Void, Never>?, finished: Bool)>((nil, false))

    init(job: ClaimedJob, timeout: Duration) {
        self.job = job
        self.deadline = .now + timeout
    }

    func attach(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { state -> Bool in
            state.task = task
            return state.finished
        }
        if cancelNow { task.cancel() }
    }

    /// Marks the run finished; true for the first caller only. `cancelTask` stops the handler.
    func finish(cancelTask: Bool) -> Bool {
        let (won, task) = state.withLock { state -> (Bool, Task<Void, Never>?) in
            if state.finished { return (false, nil) }
            state.finished = true
            return (true, state.task)
        }
        if won, cancelTask { task?.cancel() }
        return won
    }
}

/// A job as claimed from the table.
struct ClaimedJob: Sendable {
    let id: Int64
    let queue: String
    let kind: String
    let args: String
    let metadata: String
    let attempt: Int
    let maxAttempts: Int
    let priority: Int
    let runAt: Date
    let createdAt: Date
}
