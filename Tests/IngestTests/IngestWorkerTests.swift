import Foundation
import Helpdesk
import Ingest
import JobQueue
import Postgres
import Testing
import TestSupport

@Suite("Ingest worker")
struct IngestWorkerTests {
    /// Runs a real `JobWorker` on the ingest queue, as `switchboard worker --queue ingest=N` does.
    private func withWorker(_ fixture: IngestFixture, _ body: () async throws -> Void) async throws {
        let pool = PostgresPool(configuration: fixture.schema.configuration, options: PostgresPoolOptions(maxConnections: 4))
        var registry = JobRegistry()
        IngestWorker.register(into: &registry, pool: pool)
        var configuration = JobWorkerConfiguration(queues: [HelpdeskJobs.ingestQueue: 4])
        configuration.pollInterval = .milliseconds(200)
        let worker = JobWorker(database: fixture.schema.configuration, configuration: configuration, registry: registry)
        let running = Task { try await worker.run() }
        var failure: (any Error)?
        do { try await body() } catch { failure = error }
        worker.beginDraining()
        try await withTimeout(.seconds(30), "worker shutdown") { try await running.value }
        await pool.shutdown()
        if let failure { throw failure }
    }

    private func waitUntilHandled(_ fixture: IngestFixture, within limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let waiting = try await fixture.int("""
                SELECT (SELECT count(*) FROM inbound_messages WHERE status = 'received')
                     + (SELECT count(*) FROM order_events WHERE status = 'received')
                """)
            if waiting == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TimedOut(description: "inbound rows still unprocessed after \(limit); \(try await queueState(fixture))")
    }

    /// What the ingest queue and this schema's sessions were doing, for a wait that timed out.
    private func queueState(_ fixture: IngestFixture) async throws -> String {
        let jobs = try await fixture.text("""
            SELECT coalesce(string_agg(format('%s %s×%s attempt %s, run_at %s s from now, last error %s',
                                              kind, state, n, attempt, round(extract(epoch FROM run_at - now())), last_error), '; '), 'none')
              FROM (SELECT kind, state, attempt, count(*) AS n, min(run_at) AS run_at, max(errors->-1->>'error') AS last_error
                      FROM jobs WHERE queue = 'ingest' AND state <> 'completed' GROUP BY kind, state, attempt) AS j
            """) ?? ""
        // Sessions of the whole test database that are busy, and whom each waits for.
        let sessions = try await fixture.text("""
            SELECT coalesce(string_agg(format('pid %s %s (%s %s, %s s, blocked by %s): %s', pid, application_name, state,
                                              wait_event, round(extract(epoch FROM now() - xact_start)), pg_blocking_pids(pid), left(query, 100)), '; '), 'none')
              FROM (SELECT * FROM pg_stat_activity
                     WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'
                     ORDER BY xact_start LIMIT 12) AS a
            """) ?? ""
        return "jobs not completed: \(jobs); busy sessions: \(sessions)"
    }

    @Test("inserted rows are ingested by the worker through the trigger's jobs, and need-an-agent conversations get route jobs")
    func endToEnd() async throws {
        try await IngestFixture.with("e2e") { fixture in
            try await withWorker(fixture) {
                try await fixture.connection.simpleQuery(unsafeSQL: """
                    SET ROLE switchboard_integration;
                    INSERT INTO order_events (order_number, kind, payload) VALUES
                        ('7001', 'shipped', '{"customer": {"phone": "+48601000001", "name": "Piotr"}, "carrier": "InPost",
                                              "tracking_url": "https://inpost.example/7001"}');
                    RESET ROLE;
                    """)
                // The shop's event first, as in life: the question is about an order that exists.
                try await waitUntilHandled(fixture)
                try await fixture.connection.simpleQuery(unsafeSQL: """
                    SET ROLE switchboard_integration;
                    INSERT INTO inbound_messages (channel, external_id, payload) VALUES
                        ('sms', 'e1', convert_to('{"from": "+48601000001", "text": "Dzień dobry, gdzie jest moje zamówienie 7001?"}', 'UTF8')),
                        ('chat', 'e2', convert_to('{"session_id": "w1", "text": "Hi, the checkout page shows an error when I pay by card"}', 'UTF8')),
                        ('sms', 'e3', convert_to('{"text": "no sender"}', 'UTF8'));
                    RESET ROLE;
                    """)
                try await waitUntilHandled(fixture)
            }
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'processed'") == 2)
            #expect(try await fixture.text("SELECT reject_code FROM inbound_messages WHERE external_id = 'e3'") == "missing_sender")
            #expect(try await fixture.int("SELECT count(*) FROM outbox WHERE locale = 'pl' AND body_text LIKE '%https://inpost.example/7001%'") == 1)
            #expect(try await fixture.int("SELECT count(*) FROM jobs WHERE kind = 'route'") == 1)
            #expect(try await fixture.int("SELECT count(*) FROM jobs WHERE queue = 'ingest'") == 0)
        }
    }

    @Test("every INSERT in docs/integrations.md runs as-is as the integration role, and becomes a conversation or an order")
    func documentedInserts() async throws {
        let blocks = try sqlExamples(inDocs: "integrations.md")
        let inserts = blocks.filter { $0.contains("INSERT INTO inbound_messages") || $0.contains("INSERT INTO order_events") }
        #expect(inserts.count == 2)
        try await IngestFixture.with("docs") { fixture in
            try await withWorker(fixture) {
                for block in inserts {
                    try await fixture.connection.simpleQuery(unsafeSQL: "SET ROLE switchboard_integration;\n" + block + "\nRESET ROLE;")
                }
                try await waitUntilHandled(fixture)
            }
            let channels = try await fixture.int("SELECT count(DISTINCT channel) FROM inbound_messages WHERE status = 'processed'")
            #expect(channels == 6)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status <> 'processed'") == 0)
            #expect(try await fixture.int("SELECT count(*) FROM order_events WHERE status = 'applied'") == 1)
        }
    }

    @Test("fuzz: random, truncated and mangled payloads on every channel never stop the worker; every row ends handled")
    func fuzz() async throws {
        var generator = SplitMix64(seed: 0x5B_5EED)
        let valid: [(String, Data)] = [
            ("sms", Data(#"{"from": "+380671234567", "text": "Де моє замовлення 1001?", "media": [{"url": "https://x.example/a.jpg"}]}"#.utf8)),
            ("chat", Data(#"{"session_id": "s1", "visitor": {"email": "a@example.com", "phone": "+48601000001"}, "text": "Hello"}"#.utf8)),
            ("social", Data(#"{"platform": "whatsapp", "sender_id": "+380671234567", "thread_id": "t", "text": "مرحبا"}"#.utf8)),
            ("webform", Data(##"{"email": "a@example.com", "name": "A", "order_number": "#1", "topic": "delivery", "text": "你好"}"##.utf8)),
            ("phone", Data(#"{"caller": "+14155550123", "agent": "a@b.c", "duration_seconds": 30, "notes": "Called about a refund"}"#.utf8)),
            ("email", Data("From: \"Ann\" <ann@example.com>\r\nSubject: =?utf-8?B?0J/RgNC40LLRltGC?=\r\nMessage-ID: <f@x>\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=F0=D2=C9=D7=C5=D4\r\n--b--\r\n".utf8)),
        ]
        try await IngestFixture.with("fuzz") { fixture in
            var inserted = 0
            try await withWorker(fixture) {
                for round in 0..<50 {
                    for (channel, payload) in valid {
                        var bytes = [UInt8](payload)
                        switch round % 5 {
                        case 0: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))  // truncated
                        case 1: for _ in 0..<4 { bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next()) }  // mangled
                        case 2: bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }  // noise
                        case 3: bytes.insert(contentsOf: [0xC3, 0x28, 0x00], at: Int(generator.next() % UInt64(bytes.count)))  // bad UTF-8 and NUL
                        default: break  // as sent
                        }
                        try await fixture.insert(channel, Data(bytes), externalID: "f\(round)-\(channel)")
                        inserted += 1
                    }
                }
                try await waitUntilHandled(fixture, within: .seconds(120))
            }
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages") == inserted)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'received'") == 0)
            #expect(try await fixture.int("SELECT count(*) FROM jobs WHERE queue = 'ingest'") == 0)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'rejected' AND (reject_code IS NULL OR reject_reason IS NULL)") == 0)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'processed'") >= 10)
        }
    }
}
