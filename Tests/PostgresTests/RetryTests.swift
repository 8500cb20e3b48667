import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Transient errors and retries")
struct RetryTests {
    /// A statement that fails with `code` while the session's counter is below `failures`.
    static func failing(_ code: String, times failures: Int) -> PostgresQuery {
        PostgresQuery(unsafeSQL: """
            SELECT CASE WHEN nextval('tries') <= \(failures)
                        THEN (SELECT 1 FROM pg_sleep(0) WHERE pg_temp.raise_code('\(code)'))::int ELSE 1 END
            """)
    }

    static let setup = """
        CREATE TEMPORARY SEQUENCE tries;
        CREATE FUNCTION pg_temp.raise_code(p_code text) RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'injected %', p_code USING ERRCODE = p_code; END $$;
        """

    @Test("SQLSTATEs have names, and deadlocks and serialization failures are the transient ones")
    func codes() {
        #expect(PostgresError.Code(rawValue: "40P01") == .deadlockDetected)
        #expect(PostgresError.Code(stringLiteral: "23505") == .uniqueViolation)
        var error = PostgresError(kind: .server, message: "x", sqlState: "40P01")
        #expect(error.code == .deadlockDetected && error.isTransient && error.isDeadlock)
        error.sqlState = "40001"
        #expect(error.isTransient && error.isSerializationFailure)
        error.sqlState = "23505"
        #expect(!error.isTransient && error.isUniqueViolation)
        error.sqlState = nil
        #expect(error.code == nil && !error.isTransient)
    }

    @Test("backoff grows, is capped, and is jittered")
    func backoff() {
        let policy = PostgresRetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(10), maxDelay: .milliseconds(35))
        let first = (0..<200).map { _ in policy.delay(afterAttempt: 1) }
        let third = (0..<200).map { _ in policy.delay(afterAttempt: 3) }
        #expect(first.allSatisfy { $0 <= .milliseconds(10) } && third.allSatisfy { $0 <= .milliseconds(35) })
        #expect(third.contains { $0 > .milliseconds(10) })
        #expect(Set(first).count > 100)
    }

    @Test("a deadlock is run again until it succeeds, with each retry reported")
    func retriesUntilSuccess() async throws {
        try await TestDatabase.withConnection("retry") { (connection, _) async throws in
            _ = try await connection.simpleQuery(unsafeSQL: Self.setup)
            let (value, retried) = try await connection.run { connection in
                var retried: [Int] = []
                let value = try await connection.retryingTransient(onRetry: { error, attempt in
                    if error.code == .deadlockDetected { retried.append(attempt) }
                }) { connection in
                    try connection.query(Self.failing("40P01", times: 2)).scalar(Int.self)
                }
                return (value, retried)
            }
            #expect(value == 1 && retried == [1, 2])
        }
    }

    @Test("retries stop at the policy's attempts; other errors and errors inside a transaction are not retried")
    func limits() async throws {
        try await TestDatabase.withConnection("retrylimits") { (connection, _) async throws in
            _ = try await connection.simpleQuery(unsafeSQL: Self.setup)
            let policy = PostgresRetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(1))
            let exhausted = await #expect(throws: PostgresError.self) {
                try await connection.run { connection in
                    try await connection.retryingTransient(policy) { connection in try connection.query(Self.failing("40001", times: 100)) }
                }
            }
            #expect(exhausted?.code == .serializationFailure)
            #expect(try await connection.query("SELECT currval('tries')").scalar(Int.self) == 3)

            _ = try await connection.simpleQuery(unsafeSQL: "SELECT setval('tries', 1, false)")
            let permanent = await #expect(throws: PostgresError.self) {
                try await connection.run { connection in
                    try await connection.retryingTransient(policy) { connection in try connection.query(Self.failing("23514", times: 100)) }
                }
            }
            #expect(permanent?.code == .checkViolation)
            #expect(try await connection.query("SELECT currval('tries')").scalar(Int.self) == 1)

            // Inside a transaction only the whole transaction could run again: the error goes up at once.
            _ = try await connection.simpleQuery(unsafeSQL: "SELECT setval('tries', 1, false)")
            await #expect(throws: PostgresError.self) {
                try await connection.transaction { connection in
                    try await connection.retryingTransient(policy) { connection in try connection.query(Self.failing("40P01", times: 100)) }
                }
            }
            #expect(try await connection.query("SELECT currval('tries')").scalar(Int.self) == 1)

            // A whole transaction as the body is run again.
            _ = try await connection.simpleQuery(unsafeSQL: "SELECT setval('tries', 1, false)")
            let value = try await connection.run { connection in
                try await connection.retryingTransient(policy) { connection in
                    try await connection.transaction { connection in try connection.query(Self.failing("40P01", times: 2)).scalar(Int.self) }
                }
            }
            #expect(value == 1)
        }
    }
}
