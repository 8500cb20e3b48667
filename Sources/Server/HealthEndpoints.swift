import Foundation
import Hummingbird
import Migrations
import Postgres
import Synchronization

/// `/healthz` (the process answers) and `/readyz` (the database answers within the server's
/// wait, its migrations are this build's, and the process is not draining), for probes.
final class HealthEndpoints: Sendable {
    private let pool: PostgresPool
    private let databaseWait: Duration
    private let draining = Mutex(false)
    /// Once the migrations are found current they stay so until the next deployment.
    private let migrationsCurrent = Mutex(false)

    init(pool: PostgresPool, databaseWait: Duration) {
        self.pool = pool
        self.databaseWait = databaseWait
    }

    /// From now on `/readyz` answers 503, so a load balancer sends no new requests.
    func beginDraining() { draining.withLock { $0 = true } }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in APIResponse.json(.ok, ["status": "alive"]) }
        router.get("/readyz") { _, _ in await self.readiness() }
    }

    private func readiness() async -> Response {
        var problems: [String] = []
        if draining.withLock({ $0 }) { problems.append("draining: shutting down") }
        do {
            try await withDeadline(databaseWait) { [pool] in _ = try await pool.execute("SELECT 1") }
            if !migrationsCurrent.withLock({ $0 }) {
                // Checksums of every file: slower than the ping, and needed only until they match once.
                let pending = try await withDeadline(max(databaseWait, .seconds(15))) { [pool] in
                    try await pool.withConnection { connection in try await Migrator().status(on: connection).notCurrent }
                }
                if pending > 0 {
                    problems.append("\(pending) migration or definitions file\(pending == 1 ? " is" : "s are") not applied: run switchboard migrate")
                } else {
                    migrationsCurrent.withLock { $0 = true }
                }
            }
        } catch {
            problems.append("the database does not answer: \(error)")
        }
        if problems.isEmpty { return APIResponse.json(.ok, ["status": "ready"]) }
        return APIResponse.json(.serviceUnavailable, ["status": "not ready", "problems": problems])
    }
}

/// Runs `body`, or throws once `limit` has passed (the body is cancelled).
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeadlineExceeded(limit: limit)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let limit: Duration
    var description: String { "no answer within \(limit)" }
}
