public import Logging
import CLibPQ
import Foundation
import Synchronization

/// A transaction isolation level.
public enum PostgresIsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// One PostgreSQL session over libpq.
///
/// The actor runs on a thread of its own (see `ThreadExecutor`): every libpq call happens there, so
/// blocking calls never occupy Swift's cooperative pool and no two threads ever touch the `PGconn`.
/// Code that does several things with one connection should run inside ``run(_:)``,
/// ``transaction(isolation:_:)`` or a pool's `withConnection`: the closure is isolated to the
/// connection, so each call is a plain synchronous call on its thread with no hop in between.
///
/// A connection serves one task at a time; calls from concurrent tasks are serialised, but would
/// interleave inside each other's transactions.
public actor PostgresConnection {
    private let executor: ThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public nonisolated let configuration: PostgresConfiguration
    public nonisolated let logger: Logger
    /// When the session was established (for pool lifetime limits).
    public nonisolated let createdAt = ContinuousClock.now

    private let owned = OwnedConnection()
    private var handle: OpaquePointer? {
        get { owned.pointer }
        set { owned.pointer = newValue }
    }
    private let noticeSink: NoticeSink
    private var statements: [String: String] = [:]
    private var settings: [(name: String, value: String)] = []
    /// Through a transaction pooler: the settings were made in the transaction now open.
    private var settingsInTransaction = false
    private var statementCounter = 0
    private var savepointDepth = 0
    private nonisolated let brokenFlag = Atomic<Bool>(false)
    private nonisolated let socketDescriptor = Atomic<Int32>(-1)
    private nonisolated let pid = Atomic<Int32>(0)

    /// Prepared statements kept per connection before they are all deallocated and re-prepared.
    static let statementCacheLimit = 1_000

    private init(configuration: PostgresConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.noticeSink = NoticeSink(logger: logger)
        self.executor = ThreadExecutor(name: "postgres")
    }

    /// Opens a session. Errors name what was attempted (`host=… port=… dbname=… user=…`, never the
    /// password) and carry libpq's reason.
    public static func connect(_ configuration: PostgresConfiguration,
                               logger: Logger = Logger(label: "switchboard.postgres")) async throws -> PostgresConnection {
        let connection = PostgresConnection(configuration: configuration, logger: logger)
        try await connection.open()
        return connection
    }

    deinit {
        executor.shutdown()
    }

    // MARK: State visible without a hop (used by the pool)

    /// True once the session is known to be unusable (lost, terminated or closed).
    public nonisolated var isBroken: Bool { brokenFlag.load(ordering: .relaxed) }
    /// The server process id serving this session (`pg_backend_pid()`).
    public nonisolated var backendPID: Int32 { pid.load(ordering: .relaxed) }

    /// True when the server has sent something while the connection sat idle: usually the
    /// message and EOF of a terminated session. Costs one `poll` and no round trip.
    nonisolated var hasUnreadInput: Bool {
        let fd = socketDescriptor.load(ordering: .relaxed)
        guard fd >= 0 else { return true }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) != 0
    }

    // MARK: Lifecycle

    private func open() throws {
        let connection = try openConnection(configuration)
        PQsetNoticeReceiver(connection, { context, result in
            guard let context, let result else { return }
            Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue().receive(result)
        }, Unmanaged.passUnretained(noticeSink).toOpaque())
        handle = connection
        socketDescriptor.store(PQsocket(connection), ordering: .relaxed)
        pid.store(PQbackendPID(connection), ordering: .relaxed)
    }

    /// Ends the session (`PQfinish`). Later calls fail with a connection error.
    public func close() {
        if let handle {
            PQfinish(handle)
            self.handle = nil
        }
        socketDescriptor.store(-1, ordering: .relaxed)
        brokenFlag.store(true, ordering: .relaxed)
    }

    /// Reads whatever the server sent while idle and reports whether the session is still usable.
    func checkAlive() -> Bool {
        guard let handle, !isBroken else { return false }
        // A terminated session sends its FATAL message and then closes: the first read gets the
        // message, a later one the end of the stream. Read for as long as there is input.
        for _ in 0..<8 {
            if PQconsumeInput(handle) == 0 || PQstatus(handle) != CONNECTION_OK {
                brokenFlag.store(true, ordering: .relaxed)
                return false
            }
            if !hasUnreadInput { break }
        }
        // Notifications for a LISTEN issued on a pooled connection are not wanted here.
        while let notification = PQnotifies(handle) { PQfreemem(notification) }
        return true
    }

    private func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, message: "the connection is closed", context: "using \(configuration.target)")
        }
        return handle
    }

    // MARK: Queries

    /// Runs one statement and returns its complete result. On a session of its own the statement
    /// is prepared once per connection, then reused; through a transaction pooler it goes unnamed
    /// (parsed and planned each time), since the next transaction may run on another session.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> PostgresResult {
        let handle = try liveHandle()
        if configuration.pooling == .transaction {
            if settingsDue(handle) {
                // The settings go first in the statement's transaction, one round trip for both.
                let results = try runPipeline([[settingsQuery(local: true), query]], on: handle)[0]
                noteTransactionState(handle, applied: true)
                _ = try results[0].get()
                return try results[1].get()
            }
            defer { noteTransactionState(handle) }
            let result = try Self.withParameters(query.binds) { count, values, lengths, formats in
                query.parameterTypes.withUnsafeBufferPointer { types in
                    PQexecParams(handle, query.sql, count, types.baseAddress, values, lengths, formats, 0)
                }
            }
            return try checked(result, on: handle)
        }
        let name = try preparedStatement(for: query, on: handle)
        do {
            return try executePrepared(name, query, on: handle)
        } catch let error as PostgresError where isStalePreparedStatement(error) {
            // The server lost the statement (DISCARD ALL, a pooler) or its result type changed
            // (DDL): prepare again and run it once more.
            statements[query.statementKey] = nil
            return try executePrepared(try preparedStatement(for: query, on: handle), query, on: handle)
        }
    }

    /// Runs one statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery) throws -> Int {
        try self.query(query).rowsAffected
    }

    /// Runs SQL text through the simple query protocol: several statements separated by
    /// semicolons, no parameters. Returns the last statement's result. For migrations and
    /// admin scripts only; never pass text that contains outside input.
    @discardableResult
    public func simpleQuery(unsafeSQL sql: String) throws -> PostgresResult {
        let handle = try liveHandle()
        guard !sql.utf8.contains(0) else {
            throw PostgresError(kind: .invalidParameter, message: "SQL text contains a NUL byte")
        }
        defer { if configuration.pooling == .transaction { noteTransactionState(handle) } }
        return try checked(PQexec(handle, sql), on: handle)
    }

    /// Sends a notification through `pg_notify`, delivered when the current transaction commits.
    public func notify(channel: String, payload: String = "") throws {
        try execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Sets run-time parameters (`enable_seqscan`, `jit`, `synchronous_commit`…) for everything
    /// this connection runs from now on, replacing those set before. On a session of its own they
    /// are set once; through a transaction pooler they are set again inside every transaction
    /// (``query(_:)``, ``pipeline(_:)``, ``transaction(isolation:_:)``), so they never leak into
    /// another client's transaction on the same server session. ``simpleQuery(unsafeSQL:)`` and
    /// ``copyFrom(table:schema:columns:rows:)`` do not apply them there.
    public func useSettings(_ settings: [(name: String, value: String)]) throws {
        self.settings = settings
        guard configuration.pooling == .session, !settings.isEmpty else { return }
        try query(settingsQuery(local: false))
    }

    /// Through a transaction pooler: true when the settings are not yet made in the transaction the
    /// next statement runs in (a new one outside a transaction block).
    private func settingsDue(_ handle: OpaquePointer) -> Bool {
        !settings.isEmpty && (!settingsInTransaction || PQtransactionStatus(handle) == PQTRANS_IDLE)
    }

    /// Records whether the settings hold in the transaction now open, `applied` saying whether
    /// the statement just run made them.
    private func noteTransactionState(_ handle: OpaquePointer, applied: Bool = false) {
        settingsInTransaction = PQtransactionStatus(handle) != PQTRANS_IDLE && (settingsInTransaction || applied)
    }

    /// `set_config` for every setting, in one statement.
    private func settingsQuery(local: Bool) -> PostgresQuery {
        "SELECT count(set_config(name, value, \(local))) FROM unnest(\(settings.map(\.name)), \(settings.map(\.value))) AS s(name, value)"
    }

    /// Runs `body` isolated to this connection: every call inside is a direct call on the
    /// connection's thread.
    @discardableResult
    public func run<T: Sendable>(_ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        try await body(self)
    }

    // MARK: Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// Nested calls use savepoints, so an inner failure undoes only the inner work.
    /// `isolation` applies to the outermost transaction only.
    @discardableResult
    public func transaction<T: Sendable>(isolation: PostgresIsolationLevel? = nil,
                                         _ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        let handle = try liveHandle()
        if PQtransactionStatus(handle) == PQTRANS_IDLE {
            try simpleQuery(unsafeSQL: isolation.map { "BEGIN ISOLATION LEVEL \($0.rawValue)" } ?? "BEGIN")
            do {
                let value = try await body(self)
                try simpleQuery(unsafeSQL: "COMMIT")
                return value
            } catch {
                rollBackQuietly("ROLLBACK")
                throw error
            }
        }
        savepointDepth += 1
        defer { savepointDepth -= 1 }
        let savepoint = "switchboard_savepoint_\(savepointDepth)"
        try simpleQuery(unsafeSQL: "SAVEPOINT \(savepoint)")
        do {
            let value = try await body(self)
            try simpleQuery(unsafeSQL: "RELEASE SAVEPOINT \(savepoint)")
            return value
        } catch {
            rollBackQuietly("ROLLBACK TO SAVEPOINT \(savepoint); RELEASE SAVEPOINT \(savepoint)")
            // Settings made inside the savepoint were undone with it.
            settingsInTransaction = false
            throw error
        }
    }

    /// True while a transaction (or a failed one awaiting ROLLBACK) is open.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) != PQTRANS_IDLE
    }

    /// Ends whatever transaction is open; a session that cannot do so is marked broken.
    func resetTransactionState() {
        guard isInTransaction else { return }
        rollBackQuietly("ROLLBACK")
    }

    private func rollBackQuietly(_ sql: String) {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return }
        do { try simpleQuery(unsafeSQL: sql) } catch {
            logger.debug("rollback failed", metadata: ["error": "\(error)"])
            if PQtransactionStatus(handle) != PQTRANS_IDLE { brokenFlag.store(true, ordering: .relaxed) }
        }
    }

    // MARK: Pipeline

    /// Sends every statement in one go and then reads every result: one round trip for the
    /// batch. Each statement is followed by its own sync point, so each gets its own result or
    /// error and a failure does not affect the others (inside an explicit transaction, the
    /// statements after a failure fail with 25P02 as usual). Outside a transaction each
    /// statement commits on its own.
    public func pipeline(_ queries: [PostgresQuery]) throws -> [Result<PostgresResult, PostgresError>] {
        let handle = try liveHandle()
        // Through a transaction pooler, each statement outside a transaction is a transaction of
        // its own and carries the settings with it; inside one, the first statement does.
        if configuration.pooling == .transaction, settingsDue(handle) {
            let settings = settingsQuery(local: true)
            if PQtransactionStatus(handle) == PQTRANS_IDLE {
                defer { noteTransactionState(handle, applied: true) }
                return try runPipeline(queries.map { [settings, $0] }, on: handle).map { $0[1] }
            }
            try self.query(settings)
        }
        defer { if configuration.pooling == .transaction { noteTransactionState(handle) } }
        return try runPipeline(queries.map { [$0] }, on: handle).map { $0[0] }
    }

    /// Sends each group of statements followed by one sync point, then reads every result. The
    /// statements of a group run in one implicit transaction: after a failure, the rest of its
    /// group is not run. A group with a statement that cannot be sent (it fails to prepare, or
    /// a parameter is text with a NUL byte) is not sent at all.
    private func runPipeline(_ groups: [[PostgresQuery]], on handle: OpaquePointer) throws -> [[Result<PostgresResult, PostgresError>]] {
        let notRun = PostgresError(kind: .client, message: "not run: another statement of its group could not be sent")
        var outcomes = groups.map { [Result<PostgresResult, PostgresError>](repeating: .failure(notRun), count: $0.count) }
        // Checked and (on a session of its own) prepared first, outside pipeline mode.
        var names = groups.map { [String?](repeating: nil, count: $0.count) }
        var sendable: [Int] = []
        for (group, queries) in groups.enumerated() {
            var ready = true
            for (index, query) in queries.enumerated() {
                do {
                    try Self.checkParameters(query.binds)
                    if configuration.pooling == .session { names[group][index] = try preparedStatement(for: query, on: handle) }
                } catch let error as PostgresError {
                    outcomes[group][index] = .failure(error)
                    ready = false
                }
            }
            if ready { sendable.append(group) }
        }
        guard PQenterPipelineMode(handle) == 1 else { throw connectionError(on: handle, "entering pipeline mode") }
        PQsetnonblocking(handle, 1)
        var sent: [Int] = []
        var sendFailure: PostgresError?
        sending: for group in sendable {
            for (index, query) in groups[group].enumerated() {
                let accepted = try Self.withParameters(query.binds) { count, values, lengths, formats in
                    if let name = names[group][index] {
                        return PQsendQueryPrepared(handle, name, count, values, lengths, formats, 0)
                    }
                    return query.parameterTypes.withUnsafeBufferPointer { types in
                        PQsendQueryParams(handle, query.sql, count, types.baseAddress, values, lengths, formats, 0)
                    }
                }
                guard accepted == 1 else {
                    sendFailure = connectionError(on: handle, "sending a pipeline")
                    break sending
                }
            }
            guard PQpipelineSync(handle) == 1 else {
                sendFailure = connectionError(on: handle, "sending a pipeline")
                break
            }
            sent.append(group)
        }
        if sendFailure == nil {
            sendFailure = flushPipeline(on: handle)
        }
        PQsetnonblocking(handle, 0)
        for group in sent {
            if let sendFailure {
                for index in outcomes[group].indices { outcomes[group][index] = .failure(sendFailure) }
                continue
            }
            for index in groups[group].indices {
                let result = PQgetResult(handle)
                do { outcomes[group][index] = .success(try checked(result, on: handle)) } catch let error as PostgresError {
                    outcomes[group][index] = .failure(error)
                }
                // Each statement's results end with NULL.
                if result != nil {
                    while let extra = PQgetResult(handle) { PQclear(extra) }
                }
            }
            // Then comes the sync point's own result.
            if let sync = PQgetResult(handle) {
                if PQresultStatus(sync) != PGRES_PIPELINE_SYNC { sendFailure = PostgresError(kind: .client, message: "pipeline results out of step") }
                PQclear(sync)
            }
            if PQstatus(handle) != CONNECTION_OK { sendFailure = connectionError(on: handle, "reading pipeline results") }
        }
        if PQstatus(handle) == CONNECTION_OK { PQexitPipelineMode(handle) }
        return outcomes
    }

    /// Pushes the buffered pipeline to the server, reading its replies meanwhile so neither side
    /// blocks on a full socket buffer.
    private func flushPipeline(on handle: OpaquePointer) -> PostgresError? {
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { return nil }
            if flushed < 0 { return connectionError(on: handle, "sending a pipeline") }
            var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN | POLLOUT), revents: 0)
            guard poll(&descriptor, 1, -1) >= 0 || errno == EINTR else { return connectionError(on: handle, "waiting on the socket") }
            if descriptor.revents & Int16(POLLIN) != 0, PQconsumeInput(handle) == 0 {
                return connectionError(on: handle, "reading pipeline results")
            }
        }
    }

    // MARK: COPY

    /// Bulk-inserts rows with `COPY … FROM STDIN` (text format); returns the number of rows copied.
    /// Every row must have one value per column. Nothing is inserted if any row fails.
    @discardableResult
    public func copyFrom<Rows: Sequence>(table: String, schema: String? = nil, columns: [String], rows: Rows) throws -> Int
    where Rows.Element == [any PostgresEncodable] {
        let handle = try liveHandle()
        let target = (schema.map { PostgresQuery.quoteIdentifier($0) + "." } ?? "") + PostgresQuery.quoteIdentifier(table)
        let columnList = columns.map(PostgresQuery.quoteIdentifier).joined(separator: ", ")
        let start = PQexec(handle, "COPY \(target) (\(columnList)) FROM STDIN")
        guard let start, PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try checked(start, on: handle)
            throw PostgresError(kind: .client, message: "COPY did not enter copy-in mode")
        }
        PQclear(start)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 18)
        var failure: PostgresError?
        func send() -> Bool {
            let ok = buffer.withUnsafeBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) {
                    PQputCopyData(handle, $0, Int32(bytes.count)) == 1
                }
            }
            buffer.removeAll(keepingCapacity: true)
            return ok
        }
        rowLoop: for (rowIndex, row) in rows.enumerated() {
            guard row.count == columns.count else {
                failure = PostgresError(kind: .invalidParameter,
                                        message: "COPY row \(rowIndex + 1) has \(row.count) values for \(columns.count) columns")
                break
            }
            for (column, value) in row.enumerated() {
                if column > 0 { buffer.append(9) }
                if !CopyTextFormat.append(value.postgresBind.value, to: &buffer) {
                    failure = PostgresError(kind: .invalidParameter,
                                            message: "COPY row \(rowIndex + 1), column \(columns[column]): text contains a NUL byte, which PostgreSQL cannot store in text")
                    break rowLoop
                }
            }
            buffer.append(10)
            if buffer.count >= 1 << 18, !send() { break }
        }
        if failure == nil, !buffer.isEmpty { _ = send() }
        let ended = failure == nil ? PQputCopyEnd(handle, nil) : PQputCopyEnd(handle, "aborted by the client")
        guard ended == 1 else { throw connectionError(on: handle, "ending COPY") }
        var copied = 0
        var serverError: (any Error)?
        while let result = PQgetResult(handle) {
            do { copied = try checked(result, on: handle).rowsAffected } catch { serverError = serverError ?? error }
        }
        if let failure { throw failure }
        if let serverError { throw serverError }
        return copied
    }

    // MARK: Internals

    private func preparedStatement(for query: PostgresQuery, on handle: OpaquePointer) throws -> String {
        let key = query.statementKey
        if let name = statements[key] { return name }
        if statements.count >= Self.statementCacheLimit {
            try simpleQuery(unsafeSQL: "DEALLOCATE ALL")
            statements.removeAll()
        }
        statementCounter += 1
        let name = "switchboard_\(statementCounter)"
        let types = query.parameterTypes
        let result = types.withUnsafeBufferPointer { PQprepare(handle, name, query.sql, Int32(types.count), $0.baseAddress) }
        _ = try checked(result, on: handle)
        statements[key] = name
        return name
    }

    private func executePrepared(_ name: String, _ query: PostgresQuery, on handle: OpaquePointer) throws -> PostgresResult {
        let result = try Self.withParameters(query.binds) { count, values, lengths, formats in
            PQexecPrepared(handle, name, count, values, lengths, formats, 0)
        }
        return try checked(result, on: handle)
    }

    private func isStalePreparedStatement(_ error: PostgresError) -> Bool {
        if error.code == .invalidSQLStatementName { return true }
        return error.code == .featureNotSupported && error.message.contains("cached plan must not change result type") && !isInTransaction
    }

    /// Turns a libpq result into a ``PostgresResult`` or throws the error it carries.
    private func checked(_ result: OpaquePointer?, on handle: OpaquePointer) throws -> PostgresResult {
        guard let result else { throw connectionError(on: handle, "waiting for a result") }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY, PGRES_SINGLE_TUPLE:
            return PostgresResult(handle: result)
        case PGRES_PIPELINE_ABORTED:
            PQclear(result)
            throw PostgresError(kind: .client, message: "not run: an earlier statement in the same pipeline sync failed")
        default:
            let error = serverError(result, on: handle)
            PQclear(result)
            throw error
        }
    }

    private func serverError(_ result: OpaquePointer, on handle: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let lost = PQstatus(handle) != CONNECTION_OK
        if lost { brokenFlag.store(true, ordering: .relaxed) }
        var message = field("M") ?? String(cString: PQresultErrorMessage(result)).trimmed
        if message.isEmpty { message = String(cString: PQerrorMessage(handle)).trimmed }
        if message.isEmpty { message = "the server reported an error without a message" }
        var error = PostgresError(kind: lost ? .connection : (field("C") == nil ? .client : .server), message: message,
                                  sqlState: field("C"))
        error.severity = field("V") ?? field("S")
        error.detail = field("D")
        error.hint = field("H")
        error.position = field("P").flatMap { Int($0) }
        error.schema = field("s")
        error.table = field("t")
        error.column = field("c")
        error.constraint = field("n")
        if lost { error.context = "using \(configuration.target)" }
        return error
    }

    private func connectionError(on handle: OpaquePointer, _ action: String) -> PostgresError {
        let lost = PQstatus(handle) != CONNECTION_OK
        if lost { brokenFlag.store(true, ordering: .relaxed) }
        var message = String(cString: PQerrorMessage(handle)).trimmed
        if message.isEmpty { message = "libpq reported a failure" }
        return PostgresError(kind: lost ? .connection : .client, message: message, context: "\(action) on \(configuration.target)")
    }

    /// Throws what ``withParameters(_:_:)`` would, without laying anything out.
    static func checkParameters(_ binds: [PostgresBind]) throws {
        for (index, bind) in binds.enumerated() {
            if case .text(let text)? = bind.value, text.utf8.contains(0) { throw nulInText(parameter: index) }
        }
    }

    private static func nulInText(parameter index: Int) -> PostgresError {
        PostgresError(kind: .invalidParameter,
                      message: "parameter $\(index + 1) is text containing a NUL byte (U+0000), which PostgreSQL cannot store in text; send binary data as Data (bytea)")
    }

    /// Lays the parameters out as libpq wants them: one buffer of NUL-terminated text values
    /// (or raw bytes for binary ones), with pointer, length and format arrays.
    static func withParameters<R>(_ binds: [PostgresBind],
                                  _ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R) throws -> R {
        if binds.isEmpty { return body(0, nil, nil, nil) }
        var storage: [UInt8] = []
        var offsets: [Int] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        offsets.reserveCapacity(binds.count)
        lengths.reserveCapacity(binds.count)
        formats.reserveCapacity(binds.count)
        for (index, bind) in binds.enumerated() {
            switch bind.value {
            case nil:
                offsets.append(-1)
                lengths.append(0)
                formats.append(0)
            case .text(let text)?:
                let start = storage.count
                storage.append(contentsOf: text.utf8)
                if storage[start...].contains(0) { throw nulInText(parameter: index) }
                storage.append(0)
                offsets.append(start)
                lengths.append(0)
                formats.append(0)
            case .binary(let bytes)?:
                offsets.append(storage.count)
                storage.append(contentsOf: bytes)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            }
        }
        storage.append(0)  // never empty, so the base address exists
        return storage.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let pointers = offsets.map { $0 < 0 ? nil : (base + $0).assumingMemoryBound(to: CChar.self) }
            return pointers.withUnsafeBufferPointer { values in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    formats.withUnsafeBufferPointer { formatBuffer in
                        body(Int32(binds.count), values.baseAddress, lengthBuffer.baseAddress, formatBuffer.baseAddress)
                    }
                }
            }
        }
    }
}

/// Owns the `PGconn`: `PQfinish` runs exactly once, on close or when the last reference goes.
/// Only the connection actor's thread reads or writes `pointer`.
final class OwnedConnection: @unchecked Sendable {
    var pointer: OpaquePointer?
    deinit { if let pointer { PQfinish(pointer) } }
}

/// Forwards server notices (`RAISE NOTICE`, "relation already exists, skipping") to the logger
/// instead of libpq's default of printing them on stderr.
final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }

    func receive(_ result: OpaquePointer) {
        let message = String(cString: PQresultErrorMessage(result)).trimmed
        logger.debug("postgres notice", metadata: ["notice": "\(message)"])
    }
}

/// COPY's text format: tab-separated, `\N` for NULL, backslash escapes for control characters.
enum CopyTextFormat {
    /// Appends one field; returns false for text containing NUL.
    static func append(_ value: PostgresBind.Value?, to buffer: inout [UInt8]) -> Bool {
        switch value {
        case nil:
            buffer.append(contentsOf: [92, 78])  // \N
        case .text(let text)?:
            for byte in text.utf8 {
                switch byte {
                case 0: return false
                case 92: buffer.append(contentsOf: [92, 92])
                case 10: buffer.append(contentsOf: [92, 110])
                case 13: buffer.append(contentsOf: [92, 114])
                case 9: buffer.append(contentsOf: [92, 116])
                default: buffer.append(byte)
                }
            }
        case .binary(let bytes)?:
            // bytea's hex input form, its backslash doubled for COPY: \\x0a0b…
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            buffer.append(contentsOf: [92, 92, 120])
            for byte in bytes {
                buffer.append(hex[Int(byte >> 4)])
                buffer.append(hex[Int(byte & 15)])
            }
        }
        return true
    }
}

/// Opens a blocking libpq session or throws an error naming the target and libpq's reason.
/// Call it only from a thread that may block.
func openConnection(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
    let keywords = ["connect_timeout", "fallback_application_name", "dbname", "client_encoding"]
    // The connection string may override the first two; client_encoding is always UTF8,
    // since every String in and out is decoded as UTF-8.
    let values = [String(configuration.connectTimeoutSeconds), configuration.applicationName,
                  configuration.connectionString, "UTF8"]
    let connection = withCStringArray(keywords) { keywordPointers in
        withCStringArray(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
    }
    guard let connection else {
        throw PostgresError(kind: .connection, message: "out of memory", context: "connecting to \(configuration.target)")
    }
    guard PQstatus(connection) == CONNECTION_OK else {
        let message = String(cString: PQerrorMessage(connection)).trimmed
        PQfinish(connection)
        throw PostgresError(kind: .connection, message: message, context: "connecting to \(configuration.target)")
    }
    return connection
}

/// Calls `body` with a NULL-terminated array of C strings.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
