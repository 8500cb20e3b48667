import Foundation
import Postgres
import Testing
import TestSupport

/// The notification worker as a real process, killed while it sends.
@Suite("Notification worker under faults (real processes)")
struct NotifyFaultTests {
    @Test("kill -9 in the middle of 1,000 sends: every row ends sent, every Message-ID reached the server, duplicates only among the sends in flight")
    func killNineMidSend() async throws {
        let schema = try await TestDatabase.freshSchema("notify_kill9")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        #expect(try await CommandLineTests.run(["migrate"] + url).status == 0)
        let peer = try await SMTPPeer.start()
        let connection = try await schema.connect()
        var workers: [Process] = []
        defer {
            for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
            peer.stop()
        }
        try await connection.execute("""
            INSERT INTO notify_providers (name, channel, kind, endpoint) VALUES ('loopback', 'email', 'smtp', \("smtp+plain://127.0.0.1:\(peer.port)"))
            """)
        try await connection.execute("""
            WITH c AS (INSERT INTO customers (store_id, name) VALUES (1, 'Emma') RETURNING id),
                 i AS (INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'email', 'emma@example.com' FROM c RETURNING customer_id)
            INSERT INTO outbox (store_id, customer_id, kind, channel, locale, subject, body_text, idempotency_key)
            SELECT 1, i.customer_id, 'auto_answer', 'email', 'en', 'Answer ' || n, 'Answer ' || n, 'fault:' || n
              FROM i, generate_series(1, 1000) AS n
            """)
        let worker = ["--queue", "notify=8", "--no-migrate", "--log-level", "warning", "--lease", "2"] + url
        workers.append(try CommandLineTests.startWorker(worker))
        func sent() async throws -> Int {
            try await connection.query("SELECT count(*) FROM outbox WHERE status = 'sent'").scalar(Int.self)
        }
        // Kill it mid-stream, once a few hundred have gone.
        let deadline = ContinuousClock.now + .seconds(120)
        while try await sent() < 250 {
            guard ContinuousClock.now < deadline else { throw SMTPPeerError(description: "fewer than 250 sent in 120 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(workers[0].processIdentifier, SIGKILL)
        workers[0].waitUntilExit()
        // What was in flight at the kill: marked sending, not yet sent.
        let inFlight = try await connection.query("SELECT count(*) FROM outbox WHERE status = 'sending'").scalar(Int.self)
        #expect(try await sent() < 1000, "the kill came after the last send; nothing was tested")

        workers.append(try CommandLineTests.startWorker(worker))
        while try await sent() < 1000 {
            guard ContinuousClock.now < deadline + .seconds(60) else {
                throw SMTPPeerError(description: "\(try await sent()) of 1,000 sent 180 s after the start")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let ids = try peer.received().compactMap { SMTPPeer.header("Message-ID", of: $0.raw) }
        let expected = Set(try await connection.query("SELECT '<' || email_message_id || '>' FROM outbox").map { try $0.decode(String.self, at: 0) })
        #expect(Set(ids) == expected, "every row's Message-ID reached the server")
        let duplicates = ids.count - Set(ids).count
        #expect(duplicates <= inFlight, "\(duplicates) duplicate deliveries, \(inFlight) sends in flight at the kill")
        #expect(try await connection.query("SELECT count(*) FROM outbox WHERE status <> 'sent'").scalar(Int.self) == 0)
        // A row sent twice says so: two sending events, one sent.
        #expect(try await connection.query("""
            SELECT count(*) FROM (SELECT outbox_id FROM notify_events GROUP BY 1 HAVING count(*) FILTER (WHERE event = 'sent') <> 1) x
            """).scalar(Int.self) == 0)
        await connection.close()
        try await schema.drop()
    }
}
