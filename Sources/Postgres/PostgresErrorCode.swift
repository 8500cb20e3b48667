extension PostgresError {
    /// A SQLSTATE, named: `error.code == .deadlockDetected` rather than `sqlState == "40P01"`.
    /// Extensible like the server's own list: `PostgresError.Code(rawValue: "XX000")`.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }

        // Class 08: connection exceptions are matched by class (see isConnectionFailure).
        /// `0A000`
        public static let featureNotSupported: Code = "0A000"
        /// `22023`
        public static let invalidParameterValue: Code = "22023"
        /// `2201B`
        public static let invalidRegularExpression: Code = "2201B"
        /// `23502`
        public static let notNullViolation: Code = "23502"
        /// `23503`
        public static let foreignKeyViolation: Code = "23503"
        /// `23505`
        public static let uniqueViolation: Code = "23505"
        /// `23514`: a CHECK constraint, or a trigger refusing a row with ERRCODE check_violation.
        public static let checkViolation: Code = "23514"
        /// `26000`: a prepared statement the session no longer has.
        public static let invalidSQLStatementName: Code = "26000"
        /// `40001`: retry the whole transaction.
        public static let serializationFailure: Code = "40001"
        /// `40P01`: retry the whole transaction.
        public static let deadlockDetected: Code = "40P01"
        /// `42601`
        public static let syntaxError: Code = "42601"
        /// `42501`: a table, column or function the role may not use, or an object it does not own.
        public static let insufficientPrivilege: Code = "42501"
        /// `42P01`
        public static let undefinedTable: Code = "42P01"
        /// `55P03`: `NOWAIT` or `lock_timeout`.
        public static let lockNotAvailable: Code = "55P03"
        /// `57014`: `statement_timeout` or a cancel request.
        public static let queryCanceled: Code = "57014"
        /// `57P01`
        public static let adminShutdown: Code = "57P01"
        /// `57P02`
        public static let crashShutdown: Code = "57P02"
        /// `57P03`
        public static let cannotConnectNow: Code = "57P03"
        /// `P0002`: PL/pgSQL's `SELECT … INTO STRICT` found nothing, or a function raised no_data_found.
        public static let noDataFound: Code = "P0002"
    }

    /// The server's SQLSTATE as a ``Code``, when it sent one.
    public var code: Code? { sqlState.map(Code.init(rawValue:)) }

    /// Serialization failures and deadlocks: the transaction did nothing, and running it again
    /// (after the other transaction has gone) may well succeed.
    public var isTransient: Bool { code == .serializationFailure || code == .deadlockDetected }
}

/// How often and how long to wait before running a transaction again after a transient error:
/// exponential backoff with full jitter, so transactions that collided do not collide again.
public struct PostgresRetryPolicy: Sendable {
    /// Runs in all, the first included.
    public var maxAttempts: Int
    /// The longest wait before the second run; it doubles with each run after.
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 5, baseDelay: Duration = .milliseconds(10), maxDelay: Duration = .milliseconds(500)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// Five runs, waiting up to 10, 20, 40 and 80 ms between them.
    public static let transient = PostgresRetryPolicy()

    /// The wait after run `attempt` (1-based) failed: uniformly random up to the capped backoff.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let ceiling = min(maxDelay, baseDelay * (1 << min(max(0, attempt - 1), 20)))
        let nanoseconds = Int64(ceiling / .nanoseconds(1))
        return .nanoseconds(Int64.random(in: 0...max(0, nanoseconds)))
    }
}

extension PostgresConnection {
    /// Runs `body` — one statement, or a whole ``transaction(isolation:_:)`` — and runs it again
    /// when it fails with a transient error (``PostgresError/isTransient``), as `policy` allows;
    /// `onRetry` hears of each error retried and the attempt that failed. Inside a transaction
    /// the error is rethrown at once: only the whole transaction can be run again.
    @discardableResult
    public func retryingTransient<T>(_ policy: PostgresRetryPolicy = .transient,
                                     onRetry: ((PostgresError, Int) -> Void)? = nil,
                                     _ body: (isolated PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body(self)
            } catch let error as PostgresError where error.isTransient && attempt < policy.maxAttempts && !isInTransaction {
                onRetry?(error, attempt)
                try await Task.sleep(for: policy.delay(afterAttempt: attempt))
                attempt += 1
            }
        }
    }
}
