import Foundation
import Postgres
import TestSupport
import Testing

/// These stop and start a server, so each runs on a cluster of its own.
@Suite("Server restarts")
struct ServerRestartTests {
    @Test("the server stopped while in use and started again: the pool and the listener recover")
    func stopAndStart() async throws {
        let cluster = try await TestDatabase.privateCluster()
        let configuration = try PostgresConfiguration(cluster.connectionString, connectTimeoutSeconds: 3)
        // The acquire timeout is generous: on a starved CI machine this test once ran for 80 s, and
        // waiting for a free connection is not what it tests.
        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 4, acquireTimeout: .seconds(60)))
        let listener = try PostgresListener(configuration: configuration,
                                            backoff: PostgresReconnectBackoff(initial: .milliseconds(20), maximum: .milliseconds(200)))
        defer { listener.stop() }
        try await listener.listen("jobs")
        let events = EventReader(listener)
        #expect(try await pool.query("SELECT 1").scalar(Int.self) == 1)

        // A query in flight when the server goes away fails as a connection failure.
        let inFlight = Task { try await pool.withConnection { try $0.execute("SELECT pg_sleep(30)") } }
        try await Task.sleep(for: .milliseconds(300))
        try await TestDatabase.blocking { try cluster.stop(mode: "fast") }
        let failure = await #expect(throws: PostgresError.self) { try await inFlight.value }
        #expect(failure?.isConnectionFailure == true)
        let whileDown = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
        #expect(whileDown?.isConnectionFailure == true)

        try await TestDatabase.blocking { try cluster.start() }
        // Every idle connection died with the old server; none of them is handed out.
        let results: Int
        do {
            results = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 1...20 { group.addTask { try await pool.query("SELECT \(index)::int8").scalar(Int.self) } }
                return try await group.reduce(0, +)
            }
        } catch {
            let (open, idle, waiting) = await pool.statistics
            Issue.record("after the restart: \(error); the pool has \(open) open, \(idle) idle, \(waiting) waiting")
            throw error
        }
        #expect(results == 210)
        #expect(try await events.next(within: .seconds(20)) == .reconnected)
        try await pool.withConnection { try $0.notify(channel: "jobs", payload: "after restart") }
        guard case .notification(let notification) = try await events.next() else { Issue.record("no notification"); return }
        #expect(notification.payload == "after restart")
        await pool.shutdown()
        listener.stop()
        try await TestDatabase.blocking { try cluster.destroy() }
    }
}
