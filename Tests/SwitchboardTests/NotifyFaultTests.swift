import Foundation
import Postgres
import Testing
import TestSupport

/// The notification worker as a real process, killed while it sends.
@Suite("Notification worker under faults (real processes)")
struct NotifyFaultTests {
    @Test("kill -9 in the middle of 1,000 mails and 500 webhook sends: every row ends sent, every Message-ID reached the server, duplicate mails no more than the sends in flight and each shown in the log, no duplicate webhook effect")
    func killNineMidSend() async throws {
        let schema = try await TestDatabase.freshSchema("notify_kill9")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        #expect(try await CommandLineTests.run(["migrate"] + url).status == 0)
        let peer = try await SMTPPeer.start()
        let hook = try await HTTPPeer.start()
        let connection = try await schema.connect()
        var workers: [Process] = []
        defer {
            for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) }
            peer.stop()
            hook.stop()
        }
        // The worker process reads the webhook's signing secret from a file, as from a mounted secret.
        let secretFile = hook.directory.appending(path: "secret")
        try HTTPPeer.secret.write(to: secretFile, atomically: true, encoding: .utf8)
        try await connection.execute("""
            INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref)
            VALUES ('hook', 'sms', 'webhook', \("http://127.0.0.1:\(hook.port)/webhook/sms"), \("file:" + secretFile.path))
            """)
        try await connection.execute("""
            INSERT INTO notify_providers (name, channel, kind, endpoint) VALUES ('loopback', 'email', 'smtp', \("smtp+plain://127.0.0.1:\(peer.port)"))
            """)
        // Mail and SMS interleaved (a third of the rows), so the kill lands among both.
        try await connection.simpleQuery(unsafeSQL: """
            WITH c AS (INSERT INTO customers (store_id, name) VALUES (1, 'Emma'), (1, 'Olha') RETURNING id, name)
            INSERT INTO customer_identities (store_id, customer_id, kind, value)
            SELECT 1, id, CASE name WHEN 'Emma' THEN 'email' ELSE 'phone' END,
                   CASE name WHEN 'Emma' THEN 'emma@example.com' ELSE '+380501234567' END FROM c;
            INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, subject, body_text, idempotency_key)
            SELECT 1, (SELECT id FROM customers WHERE name = CASE WHEN n % 3 = 0 THEN 'Olha' ELSE 'Emma' END), 'auto_answer', 'reply',
                   CASE WHEN n % 3 = 0 THEN 'sms' ELSE 'email' END, 'en', 'Answer ' || n, 'Answer ' || n,
                   CASE WHEN n % 3 = 0 THEN 'fault:sms:' ELSE 'fault:' END || n
              FROM generate_series(1, 1500) AS n
            """)
        let worker = ["--queue", "notify=8", "--no-migrate", "--log-level", "warning", "--lease", "5"] + url
        // Its sessions carry this name (libpq's PGAPPNAME), so the test can tell when they are gone.
        let sessions = "notify-kill9-\(getpid())"
        workers.append(try CommandLineTests.startWorker(environment: ["PGAPPNAME": sessions], worker))
        func sent() async throws -> Int {
            try await connection.query("SELECT count(*) FROM outbox WHERE status = 'sent'").scalar(Int.self)
        }
        // Kill it mid-stream, once a few hundred have gone.
        let deadline = ContinuousClock.now + .seconds(120)
        while try await sent() < 400 {
            guard ContinuousClock.now < deadline else { throw SMTPPeerError(description: "fewer than 400 sent in 120 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(workers[0].processIdentifier, SIGKILL)
        workers[0].waitUntilExit()
        // A statement the worker had sent still commits after the kill (its backend finishes it,
        // say notify_sent for a whole batch): what was in flight is known once those sessions end.
        while try await connection.query("SELECT count(*) FROM pg_stat_activity WHERE application_name = \(sessions)").scalar(Int.self) > 0 {
            guard ContinuousClock.now < deadline else { throw SMTPPeerError(description: "the killed worker's sessions did not end") }
            try await Task.sleep(for: .milliseconds(20))
        }
        // What was in flight at the kill: marked sending, not yet sent.
        let inFlight = try await connection.query("SELECT id FROM outbox WHERE status = 'sending'").map { try $0.decode(Int64.self, at: 0) }
        #expect(try await sent() < 1500, "the kill came after the last send; nothing was tested")

        workers.append(try CommandLineTests.startWorker(worker))
        while try await sent() < 1500 {
            guard ContinuousClock.now < deadline + .seconds(60) else {
                throw SMTPPeerError(description: "\(try await sent()) of 1,500 sent 180 s after the start")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let ids = try peer.received().compactMap { SMTPPeer.header("Message-ID", of: $0.raw) }
        let expected = Set(try await connection.query("SELECT '<' || email_message_id || '>' FROM outbox WHERE channel = 'email'")
            .map { try $0.decode(String.self, at: 0) })
        #expect(Set(ids) == expected, "every row's Message-ID reached the server")
        // At least once: a mail arrives again only when it was sent again, and the log says so —
        // it was in flight at the kill, or (on a loaded machine) its lease lapsed mid-send.
        let copies = Dictionary(ids.map { ($0, 1) }, uniquingKeysWith: +)
        let sends = Dictionary(uniqueKeysWithValues: try await connection.query("""
            SELECT '<' || o.email_message_id || '>', count(*) FROM outbox o JOIN notify_events e ON e.outbox_id = o.id AND e.event = 'sending'
             WHERE o.channel = 'email' GROUP BY 1
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) })
        for (id, count) in copies where count > 1 {
            #expect(count <= sends[id] ?? 0, "\(id) arrived \(count) times but was sent \(sends[id] ?? 0) times")
        }
        // No more duplicates than sends in flight at the kill — plus, on a machine so loaded that a
        // lease lapsed mid-send, the rows the log shows begun again apart from the kill's.
        let duplicates = ids.count - copies.count
        let beganAgain = try await connection.query("""
            SELECT count(*) FROM (SELECT o.id FROM outbox o JOIN notify_events e ON e.outbox_id = o.id AND e.event = 'sending'
                                   WHERE o.channel = 'email' AND o.id <> ALL(\(inFlight)) GROUP BY 1 HAVING count(*) > 1) x
            """).scalar(Int.self)
        #expect(duplicates <= inFlight.count + beganAgain,
                "\(duplicates) duplicate deliveries, \(inFlight.count) sends in flight at the kill, \(beganAgain) begun again after a lapsed lease")
        // What the kill interrupted, the next worker began again.
        #expect(try await connection.query("""
            SELECT count(*) FROM notify_events WHERE event = 'sending' AND outbox_id = ANY(\(inFlight))
            """).scalar(Int.self) >= 2 * inFlight.count)
        #expect(try await connection.query("SELECT count(*) FROM outbox WHERE status <> 'sent'").scalar(Int.self) == 0)
        // The webhook: a request per attempt, but one effect per outbox key, every key present.
        let effects = try hook.effects().compactMap(\.key)
        #expect(effects.count == 500 && Set(effects) == Set((1...500).map { "fault:sms:\($0 * 3)" }))
        #expect(try await connection.query("""
            SELECT count(*) FROM outbox o WHERE channel = 'sms' AND provider_message_id IS NULL
            """).scalar(Int.self) == 0)
        // A row sent twice says so: two sending events, one sent.
        #expect(try await connection.query("""
            SELECT count(*) FROM (SELECT outbox_id FROM notify_events GROUP BY 1 HAVING count(*) FILTER (WHERE event = 'sent') <> 1) x
            """).scalar(Int.self) == 0)
        await connection.close()
        try await schema.drop()
    }
}
