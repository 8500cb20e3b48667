public import Logging

/// Limits of a ``PostgresPool``.
public struct PostgresPoolOptions: Sendable {
    /// Connections open at most, in use or idle.
    public var maxConnections: Int
    /// How long ``PostgresPool/withConnection(_:)`` waits for a connection before failing.
    public var acquireTimeout: Duration
    /// An idle connection is closed after this long unused.
    public var idleTimeout: Duration
    /// A connection is closed (when next idle) after this long, so sessions do not live forever.
    public var maxLifetime: Duration

    public init(maxConnections: Int = 8, acquireTimeout: Duration = .seconds(10),
                idleTimeout: Duration = .seconds(300), maxLifetime: Duration = .seconds(3600)) {
        self.maxConnections = max(1, maxConnections)
        self.acquireTimeout = acquireTimeout
        self.idleTimeout = idleTimeout
        self.maxLifetime = maxLifetime
    }
}

/// A bounded pool of ``PostgresConnection``s.
///
/// Acquiring waits (first come, first served) up to `acquireTimeout`. A connection is checked
/// before it is handed out: one whose session ended while it sat idle (server restart,
/// `pg_terminate_backend`) is noticed by a zero-cost `poll` of its socket and discarded, so a
/// dead connection is never handed out. A connection that fails while in use is discarded
/// when it comes back. A transaction left open by the user is rolled back on return.
public actor PostgresPool {
    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let options: PostgresPoolOptions
    private let logger: Logger

    private enum Handoff: Sendable {
        case connection(PostgresConnection)
        /// A slot was freed: try again (open a new connection).
        case retry
    }

    private struct Waiter {
        var continuation: CheckedContinuation<Handoff, any Error>
        var timeout: Task<Void, Never>
    }

    private var idle: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []
    private var openCount = 0
    private var waiters: [UInt64: Waiter] = [:]
    private var waitOrder: [UInt64] = []
    private var waitHead = 0
    private var nextWaiterID: UInt64 = 0
    private var isShutDown = false
    private var reaper: Task<Void, Never>?

    public init(configuration: PostgresConfiguration, options: PostgresPoolOptions = .init(),
                logger: Logger = Logger(label: "switchboard.postgres.pool")) {
        self.configuration = configuration
        self.options = options
        self.logger = logger
    }

    /// Counts for monitoring: open (idle + in use), idle, and tasks waiting.
    public var statistics: (open: Int, idle: Int, waiting: Int) { (openCount, idle.count, waiters.count) }

    /// Runs `body` with a connection of its own, isolated to it, and returns the connection.
    @discardableResult
    public nonisolated func withConnection<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        let outcome: Result<T, any Error>
        do {
            outcome = .success(try await connection.runLeased(body))
        } catch {
            outcome = .failure(error)
        }
        await release(connection)
        return try outcome.get()
    }

    /// Runs one statement on a pooled connection.
    @discardableResult
    public nonisolated func query(_ query: PostgresQuery) async throws -> PostgresResult {
        try await withConnection { try $0.query(query) }
    }

    /// Runs one statement on a pooled connection and returns the number of rows it affected.
    @discardableResult
    public nonisolated func execute(_ query: PostgresQuery) async throws -> Int {
        try await withConnection { try $0.execute(query) }
    }

    /// Closes idle connections, fails waiting tasks, and closes the others as they come back.
    public func shutdown() async {
        guard !isShutDown else { return }
        isShutDown = true
        reaper?.cancel()
        let closing = idle.map(\.connection)
        idle.removeAll()
        openCount -= closing.count
        for id in waitOrder[waitHead...] {
            if let waiter = waiters.removeValue(forKey: id) {
                waiter.timeout.cancel()
                waiter.continuation.resume(throwing: PostgresError(kind: .pool, message: "the connection pool was shut down"))
            }
        }
        waitOrder.removeAll()
        waitHead = 0
        for connection in closing { await connection.close() }
    }

    // MARK: Acquire and release

    func acquire() async throws -> PostgresConnection {
        startReaperIfNeeded()
        let deadline = ContinuousClock.now + options.acquireTimeout
        while true {
            guard !isShutDown else { throw PostgresError(kind: .pool, message: "the connection pool was shut down") }
            while let entry = idle.popLast() {
                if await isUsable(entry.connection) { return try handOut(entry.connection) }
            }
            if openCount < options.maxConnections {
                openCount += 1
                let connection: PostgresConnection
                do {
                    connection = try await PostgresConnection.connect(configuration, logger: logger)
                } catch {
                    openCount -= 1
                    serveNextWaiter(.retry)
                    throw error
                }
                return try handOut(connection)
            }
            switch try await waitForHandoff(until: deadline) {
            case .connection(let connection): return connection
            case .retry: continue
            }
        }
    }

    /// A connection checked or opened while the pool was being shut down goes back, not out.
    private func handOut(_ connection: PostgresConnection) throws -> PostgresConnection {
        guard isShutDown else { return connection }
        discard(connection)
        throw PostgresError(kind: .pool, message: "the connection pool was shut down")
    }

    func release(_ connection: PostgresConnection) {
        if isShutDown || connection.isBroken || lifetimeOver(connection) {
            discard(connection)
            if !isShutDown { serveNextWaiter(.retry) }
            return
        }
        if serveNextWaiter(.connection(connection)) { return }
        idle.append((connection, .now))
    }

    /// Checks an idle connection; discards it (freeing its slot) when it is not usable.
    private func isUsable(_ connection: PostgresConnection) async -> Bool {
        var usable = !connection.isBroken && !lifetimeOver(connection)
        if usable && connection.hasUnreadInput {
            // The server said something while the connection was idle: most likely its goodbye.
            usable = await connection.checkAlive()
        }
        if !usable { discard(connection) }
        return usable
    }

    private func lifetimeOver(_ connection: PostgresConnection) -> Bool {
        connection.createdAt + options.maxLifetime < .now
    }

    private func discard(_ connection: PostgresConnection) {
        openCount -= 1
        Task { await connection.close() }
    }

    private func waitForHandoff(until deadline: ContinuousClock.Instant) async throws -> Handoff {
        nextWaiterID += 1
        let id = nextWaiterID
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let timeout = Task { [weak self] in
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    guard !Task.isCancelled else { return }
                    await self?.failWaiter(id, PostgresError(
                        kind: .pool, message: "no connection became free within \(self?.options.acquireTimeout ?? .zero) (pool of \(self?.options.maxConnections ?? 0))"))
                }
                waiters[id] = Waiter(continuation: continuation, timeout: timeout)
                waitOrder.append(id)
            }
        } onCancel: {
            Task { await self.failWaiter(id, CancellationError()) }
        }
    }

    private func failWaiter(_ id: UInt64, _ error: any Error) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.timeout.cancel()
        waiter.continuation.resume(throwing: error)
    }

    /// Hands `handoff` to the longest-waiting task; false when nobody waits.
    @discardableResult
    private func serveNextWaiter(_ handoff: Handoff) -> Bool {
        while waitHead < waitOrder.count {
            let id = waitOrder[waitHead]
            waitHead += 1
            if let waiter = waiters.removeValue(forKey: id) {
                compactWaitOrder()
                waiter.timeout.cancel()
                waiter.continuation.resume(returning: handoff)
                return true
            }
        }
        compactWaitOrder()
        return false
    }

    private func compactWaitOrder() {
        if waitHead > 1024 && waitHead * 2 > waitOrder.count {
            waitOrder.removeFirst(waitHead)
            waitHead = 0
        }
    }

    // MARK: Idle reaping

    private func startReaperIfNeeded() {
        guard reaper == nil, !isShutDown else { return }
        let interval = min(options.idleTimeout / 2, .seconds(30))
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let pool = self else { return }
                await pool.closeExpiredIdleConnections()
            }
        }
    }

    private func closeExpiredIdleConnections() {
        let now = ContinuousClock.now
        var kept: [(connection: PostgresConnection, since: ContinuousClock.Instant)] = []
        for entry in idle {
            if entry.since + options.idleTimeout < now || lifetimeOver(entry.connection) || entry.connection.isBroken {
                discard(entry.connection)
            } else {
                kept.append(entry)
            }
        }
        idle = kept
    }
}

extension PostgresConnection {
    /// Runs a pool user's body, then ends any transaction it left open.
    func runLeased<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        defer { resetTransactionState() }
        return try await body(self)
    }
}
