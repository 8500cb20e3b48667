public import Logging
import CLibPQ
import Foundation
import Synchronization

/// A notification delivered by `NOTIFY` / `pg_notify`.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32

    public init(channel: String, payload: String, senderPID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderPID = senderPID
    }
}

/// What a ``PostgresListener`` reports.
public enum PostgresListenerEvent: Sendable, Equatable {
    case notification(PostgresNotification)
    /// The connection was lost and is back, with every channel listened to again. Notifications
    /// sent while it was down are lost: treat this as "anything may have happened" and re-poll.
    case reconnected
}

/// Reconnection timing for a listener.
public struct PostgresReconnectBackoff: Sendable {
    public var initial: Duration
    public var maximum: Duration
    public init(initial: Duration = .milliseconds(50), maximum: Duration = .seconds(5)) {
        self.initial = initial
        self.maximum = maximum
    }

    /// Exponential, with up to 50 % jitter so that many listeners do not reconnect in step.
    func delay(afterFailures failures: Int) -> Duration {
        let exponential = initial * (1 << min(failures, 20))
        let capped = min(exponential, maximum)
        return capped * Double.random(in: 0.5...1.0)
    }
}

/// LISTEN on a connection of its own.
///
/// A dedicated thread sleeps in `poll` on the connection's socket (and on a pipe that wakes it
/// for commands), so a notification is read the moment it arrives and an idle listener costs
/// nothing. After a lost connection it reconnects with backoff, issues every LISTEN again and
/// yields ``PostgresListenerEvent/reconnected``. Events arrive through ``events``, one consumer.
public final class PostgresListener: Sendable {
    /// Notifications and reconnections, in order. Ends when the listener stops.
    public let events: AsyncStream<PostgresListenerEvent>
    private let core: ListenerCore

    /// With `handler`, every event goes to it instead of ``events``: it is called on the
    /// listener's thread, the moment the event is read, and must return quickly without
    /// blocking. That saves a hop through a task for latency-critical wake-ups.
    /// Refused for a configuration with transaction pooling.
    public init(configuration: PostgresConfiguration, backoff: PostgresReconnectBackoff = .init(),
                pingInterval: Duration = .seconds(30), logger: Logger = Logger(label: "switchboard.postgres.listener"),
                handler: (@Sendable (PostgresListenerEvent) -> Void)? = nil) throws {
        guard configuration.pooling == .session else {
            throw PostgresError(kind: .invalidParameter, message: "LISTEN needs a session of its own, which a transaction pooler does not keep: listen on a direct connection, or poll instead")
        }
        let (events, continuation) = AsyncStream<PostgresListenerEvent>.makeStream()
        self.events = events
        let deliver: @Sendable (PostgresListenerEvent) -> Void = handler ?? { continuation.yield($0) }
        let core = try ListenerCore(configuration: configuration, backoff: backoff, pingInterval: pingInterval,
                                    events: continuation, deliver: deliver, logger: logger)
        self.core = core
        continuation.onTermination = { _ in core.post(.stop) }
        let thread = Thread { core.run() }
        thread.name = "postgres-listener"
        thread.start()
    }

    deinit { core.post(.stop) }

    /// Starts listening on `channel`. Returns once LISTEN has run on a live connection, so every
    /// notification committed after this returns is delivered (waits through reconnection).
    public func listen(_ channel: String) async throws {
        try Self.validate(channel)
        try await withCheckedThrowingContinuation { continuation in core.post(.listen(channel, continuation)) }
    }

    /// Stops listening on `channel`.
    public func unlisten(_ channel: String) async throws {
        try Self.validate(channel)
        try await withCheckedThrowingContinuation { continuation in core.post(.unlisten(channel, continuation)) }
    }

    /// Closes the connection and ends ``events``.
    public func stop() { core.post(.stop) }

    /// The backend serving the listener right now, or 0 while disconnected.
    public var backendPID: Int32 { core.backendPID.load(ordering: .relaxed) }

    static func validate(_ channel: String) throws {
        // Longer names would be truncated by LISTEN but refused by pg_notify.
        guard !channel.isEmpty, channel.utf8.count <= 63, !channel.utf8.contains(0) else {
            throw PostgresError(kind: .invalidParameter, message: "a channel name has 1 to 63 bytes and no NUL")
        }
    }
}

/// The listener's thread and its mailbox.
final class ListenerCore: @unchecked Sendable {
    enum Command {
        case listen(String, CheckedContinuation<Void, any Error>)
        case unlisten(String, CheckedContinuation<Void, any Error>)
        case stop
    }

    let backendPID = Atomic<Int32>(0)
    private let mailbox = Mutex<(commands: [Command], stopped: Bool)>(([], false))
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let configuration: PostgresConfiguration
    private let backoff: PostgresReconnectBackoff
    private let pingInterval: Duration
    private let events: AsyncStream<PostgresListenerEvent>.Continuation
    private let deliver: @Sendable (PostgresListenerEvent) -> Void
    private let logger: Logger

    // Touched by the listener thread only.
    private var connection: OpaquePointer?
    private var channels: Set<String> = []
    private var awaitingConnection: [CheckedContinuation<Void, any Error>] = []
    private var hasConnected = false
    private var failures = 0

    init(configuration: PostgresConfiguration, backoff: PostgresReconnectBackoff, pingInterval: Duration,
         events: AsyncStream<PostgresListenerEvent>.Continuation, deliver: @escaping @Sendable (PostgresListenerEvent) -> Void,
         logger: Logger) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw PostgresError(kind: .client, message: "cannot create the listener's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        self.configuration = configuration
        self.backoff = backoff
        self.pingInterval = pingInterval
        self.events = events
        self.deliver = deliver
        self.logger = logger
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    func post(_ command: Command) {
        let accepted = mailbox.withLock { box in
            if box.stopped { return false }
            box.commands.append(command)
            return true
        }
        guard accepted else {
            // The thread is gone: answer here so no caller waits forever.
            Self.refuse(command)
            return
        }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)  // a full pipe already means "wake up"
    }

    func run() {
        while true {
            if !processCommands() { return }
            if connection == nil {
                if !connect() {
                    failures += 1
                    let delay = backoff.delay(afterFailures: failures - 1)
                    logger.warning("listener cannot connect; retrying", metadata: ["retry.in": "\(delay)", "failures": "\(failures)"])
                    waitForWake(timeout: delay)
                    continue
                }
            }
            guard let connection else { continue }
            var descriptors = [pollfd(fd: PQsocket(connection), events: Int16(POLLIN), revents: 0),
                               pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&descriptors, 2, Int32(pingInterval.milliseconds))
            if ready < 0 {
                if errno == EINTR { continue }
                logger.error("listener poll failed", metadata: ["errno": "\(errno)"])
                dropConnection()
                continue
            }
            if descriptors[1].revents != 0 { drainWakePipe() }
            if ready == 0 {
                // Quiet for a while: make sure the connection is really there.
                execute("SELECT 1")
            } else if descriptors[0].revents != 0 {
                if PQconsumeInput(connection) == 0 { dropConnection(); continue }
                deliverNotifications()
            }
            if let current = self.connection, PQstatus(current) != CONNECTION_OK { dropConnection() }
        }
    }

    /// Handles queued commands; returns false when told to stop.
    private func processCommands() -> Bool {
        let commands = mailbox.withLock { box in
            let taken = box.commands
            box.commands.removeAll()
            return taken
        }
        for command in commands {
            switch command {
            case .stop:
                shutDown()
                return false
            case .listen(let channel, let continuation):
                channels.insert(channel)
                if connection != nil, execute("LISTEN \(PostgresQuery.quoteIdentifier(channel))") {
                    continuation.resume()
                } else {
                    awaitingConnection.append(continuation)
                }
            case .unlisten(let channel, let continuation):
                channels.remove(channel)
                if connection != nil { execute("UNLISTEN \(PostgresQuery.quoteIdentifier(channel))") }
                continuation.resume()
            }
        }
        return true
    }

    private func connect() -> Bool {
        let opened: OpaquePointer
        do { opened = try openConnection(configuration) } catch {
            logger.debug("listener connect failed", metadata: ["error": "\(error)"])
            return false
        }
        PQsetNoticeReceiver(opened, { _, _ in }, nil)
        connection = opened
        if !channels.isEmpty {
            let statements = channels.sorted().map { "LISTEN \(PostgresQuery.quoteIdentifier($0))" }.joined(separator: "; ")
            guard execute(statements) else { return false }
        }
        backendPID.store(PQbackendPID(opened), ordering: .relaxed)
        failures = 0
        for continuation in awaitingConnection { continuation.resume() }
        awaitingConnection.removeAll()
        if hasConnected {
            logger.info("listener reconnected", metadata: ["channels": "\(channels.count)"])
            deliver(.reconnected)
        }
        hasConnected = true
        return true
    }

    /// Runs a command on the listener's connection; a failure drops the connection.
    @discardableResult
    private func execute(_ sql: String) -> Bool {
        guard let connection else { return false }
        let result = PQexec(connection, sql)
        let ok = result.map { PQresultStatus($0) == PGRES_COMMAND_OK || PQresultStatus($0) == PGRES_TUPLES_OK } ?? false
        if let result { PQclear(result) }
        // Notifications can arrive while a command runs.
        deliverNotifications()
        if !ok {
            logger.warning("listener command failed", metadata: ["error": "\(String(cString: PQerrorMessage(connection)).trimmed)"])
            dropConnection()
        }
        return ok
    }

    private func deliverNotifications() {
        guard let connection else { return }
        while let notification = PQnotifies(connection) {
            let event = PostgresNotification(channel: String(cString: notification.pointee.relname),
                                             payload: String(cString: notification.pointee.extra),
                                             senderPID: notification.pointee.be_pid)
            PQfreemem(notification)
            deliver(.notification(event))
        }
    }

    private func dropConnection() {
        guard let connection else { return }
        logger.warning("listener lost its connection", metadata: ["error": "\(String(cString: PQerrorMessage(connection)).trimmed)"])
        PQfinish(connection)
        self.connection = nil
        backendPID.store(0, ordering: .relaxed)
    }

    private func shutDown() {
        if let connection { PQfinish(connection) }
        connection = nil
        backendPID.store(0, ordering: .relaxed)
        for continuation in awaitingConnection { continuation.resume(throwing: Self.stoppedError) }
        awaitingConnection.removeAll()
        // Commands that raced with stop are answered too, and later ones are refused in post.
        let leftover = mailbox.withLock { box in
            box.stopped = true
            defer { box.commands.removeAll() }
            return box.commands
        }
        leftover.forEach(Self.refuse)
        events.finish()
    }

    static let stoppedError = PostgresError(kind: .connection, message: "the listener was stopped")

    private static func refuse(_ command: Command) {
        switch command {
        case .listen(_, let continuation), .unlisten(_, let continuation): continuation.resume(throwing: stoppedError)
        case .stop: break
        }
    }

    private func waitForWake(timeout: Duration) {
        var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
        if poll(&descriptor, 1, Int32(timeout.milliseconds)) > 0 { drainWakePipe() }
    }

    private func drainWakePipe() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buffer, buffer.count) > 0 {}
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
