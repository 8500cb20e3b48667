import EmailParsing
import Foundation
import Helpdesk
import Ingest
import JobQueue
import Migrations
import Notify
import Postgres
import Testing
import TestSupport

/// A fresh migrated schema, a real SMTP server on loopback registered as the email provider, and
/// the worker's notifier.
struct NotifyFixture {
    let schema: TestSchema
    let connection: PostgresConnection
    let pool: PostgresPool
    let peer: SMTPPeer
    let notifier = Notifier(retry: NotifyRetryPolicy(base: .seconds(30)))

    static func with(_ label: String, _ body: (NotifyFixture) async throws -> Void) async throws {
        let schema = try await TestDatabase.freshSchema(label)
        let connection = try await schema.connect()
        let pool = PostgresPool(configuration: schema.configuration, options: PostgresPoolOptions(maxConnections: 4))
        var failure: (any Error)?
        var peer: SMTPPeer?
        do {
            try await schema.migrate()
            let started = try await SMTPPeer.start()
            peer = started
            try await connection.execute("UPDATE stores SET name = 'Чайна Крамниця', support_email = 'help@shop.example' WHERE is_default")
            try await connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint) VALUES ('loopback', 'email', 'smtp', \("smtp+plain://127.0.0.1:\(started.port)"))
                """)
            try await body(NotifyFixture(schema: schema, connection: connection, pool: pool, peer: started))
        } catch { failure = error }
        peer?.stop()
        await pool.shutdown()
        await connection.close()
        try await schema.drop()
        if let failure { throw failure }
    }

    /// Ingests a raw email as the ingest worker would.
    func receiveEmail(_ raw: String) async throws -> ConversationOutcome {
        let id = try await connection.query("""
            INSERT INTO inbound_messages (channel, payload) VALUES ('email', \(Data(raw.replacingOccurrences(of: "\n", with: "\r\n").utf8))) RETURNING id
            """).scalar(Int64.self)
        let outcome = try await connection.run { connection in try await InboundIngestor().ingest(id, on: connection) }
        guard case .conversation(let placed) = outcome else { throw SMTPPeerError(description: "not placed: \(outcome)") }
        return placed
    }

    /// An outbox row as the desk, the bot or a notice would write it, for customer `customerID`.
    func outbox(kind: String = "auto_answer", purpose: String = "reply", channel: String = "email", conversationID: Int64? = nil,
                customerID: Int64, locale: String, subject: String?, body: String, key: String) async throws -> Int64 {
        try await connection.query("""
            INSERT INTO outbox (store_id, customer_id, conversation_id, kind, purpose, channel, locale, subject, body_text, idempotency_key)
            VALUES (1, \(customerID), \(conversationID), \(kind), \(purpose), \(channel), \(locale), \(subject), \(body), \(key)) RETURNING id
            """).scalar(Int64.self)
    }

    /// A customer known by `email`.
    func customer(_ email: String, name: String? = nil) async throws -> Int64 {
        try await connection.query("""
            WITH c AS (INSERT INTO customers (store_id, name) VALUES (1, \(name)) RETURNING id)
            INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'email', \(email) FROM c RETURNING customer_id
            """).scalar(Int64.self)
    }

    func events(_ outboxID: Int64) async throws -> [String] {
        try await connection.query("SELECT event FROM notify_events WHERE outbox_id = \(outboxID) ORDER BY id").map { try $0.decode(String.self, at: 0) }
    }

    func status(_ outboxID: Int64) async throws -> (status: String, attempts: Int, error: String?) {
        let row = try #require(try await connection.query("SELECT status, attempts, last_error FROM outbox WHERE id = \(outboxID)").first)
        return (try row.decode(String.self, "status"), try row.decode(Int.self, "attempts"), try row.decode(String?.self, "last_error"))
    }
}

@Suite("Notification worker over real SMTP")
struct NotifyTests {
    @Test("an agent's reply reaches the customer threaded under their mail, encoded for any relay; their answer threads back into the conversation")
    func replyThreads() async throws {
        try await NotifyFixture.with("notify_reply") { fixture in
            let question = try await fixture.receiveEmail("""
                From: =?utf-8?b?0J7Qu9C10L3QsCDQmtC+0LLQsNC70Yw=?= <olena@example.com>
                To: help@shop.example
                Subject: =?utf-8?q?=D0=A7=D0=B0=D0=B9=D0=BD=D0=B8=D0=BA_=D0=BF=D1=80=D0=BE=D1=82=D1=96=D0=BA=D0=B0=D1=94?=
                Message-ID: <q1@example.com>
                Content-Type: text/plain; charset=utf-8

                Добрий день! Чайник протікає знизу.
                """)
            try await fixture.connection.simpleQuery(unsafeSQL: """
                WITH a AS (INSERT INTO agents (name, email, status) VALUES ('Оксана', 'oksana@shop.example', 'online') RETURNING id)
                INSERT INTO agent_capacity (agent_id, channel, max_open) SELECT id, 'email', 5 FROM a;
                UPDATE conversations SET agent_id = (SELECT id FROM agents) WHERE id = \(question.conversationID);
                """)
            let body = "Вибачте, будь ласка! Ми вже надіслали новий чайник.\n\nОксана"
            try await fixture.connection.execute("SELECT reply_to_conversation(\(question.conversationID), (SELECT id FROM agents), \(body))")
            let outboxID = try await fixture.connection.query("SELECT id FROM outbox").scalar(Int64.self)
            // The reply's job was enqueued with the row.
            #expect(try await fixture.connection.query("""
                SELECT count(*) FROM jobs WHERE kind = 'notify' AND queue = 'notify' AND (args->>'outbox_id')::bigint = \(outboxID)
                """).scalar(Int.self) == 1)

            #expect(try await fixture.notifier.send(outboxID, pool: fixture.pool) == .sent)
            let received = try fixture.peer.received()
            #expect(received.count == 1 && received.first?.recipients == ["olena@example.com"])
            let raw = try #require(received.first?.raw)
            let mail = try ParsedEmail.parse(raw)
            let messageID = try #require(try await fixture.connection.query("SELECT email_message_id FROM outbox WHERE id = \(outboxID)").first?.decode(String?.self, at: 0))
            #expect(mail.messageID == messageID && messageID.hasSuffix("@shop.example"))
            #expect(mail.inReplyTo == "q1@example.com" && mail.references == ["q1@example.com"])
            #expect(mail.subject == "Чайник протікає" && mail.fromAddress == "help@shop.example" && mail.fromName == "Чайна Крамниця")
            #expect(mail.text?.trimmingCharacters(in: .whitespacesAndNewlines) == body)
            #expect(mail.html?.contains("dir=\"ltr\"") == true && mail.html?.contains("Оксана") == true)
            #expect(mail.automationHeaders["auto-submitted"] == nil, "a person's reply is not automatic mail")
            // On the wire: 7-bit, the name and subject as RFC 2047 encoded words, CRLF lines under 998.
            #expect(raw.allSatisfy { $0 < 0x80 })
            #expect(SMTPPeer.header("Subject", of: raw)?.hasPrefix("=?") == true && SMTPPeer.header("To", of: raw)?.contains("=?") == true)
            #expect(String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 998 })
            #expect(try await fixture.status(outboxID).status == "sent")
            #expect(try await fixture.events(outboxID) == ["sending", "sent"])
            // Sending again does nothing: one effect per outbox row.
            #expect(try await fixture.notifier.send(outboxID, pool: fixture.pool) == .alreadyDone)
            #expect(try fixture.peer.received().count == 1)

            // Her answer names only the reply's Message-ID (a new subject): it threads all the same.
            let answer = try await fixture.receiveEmail("""
                From: olena@example.com
                Subject: Дякую
                Message-ID: <q2@example.com>
                In-Reply-To: <\(messageID)>
                Content-Type: text/plain; charset=utf-8

                Дякую, отримала!
                """)
            #expect(answer.conversationID == question.conversationID && answer.placement == .threaded)
        }
    }

    @Test("the bot's answer in Arabic goes as automatic mail with right-to-left HTML")
    func arabicBotAnswer() async throws {
        try await NotifyFixture.with("notify_arabic") { fixture in
            let customer = try await fixture.customer("layla@example.com", name: "ليلى")
            let id = try await fixture.outbox(customerID: customer, locale: "ar", subject: "سياسة الإرجاع",
                                              body: "يمكنك إرجاع المنتج خلال ٣٠ يومًا.", key: "test:ar")
            #expect(try await fixture.notifier.send(id, pool: fixture.pool) == .sent)
            let mail = try ParsedEmail.parse(try #require(try fixture.peer.received().first?.raw))
            #expect(mail.subject == "سياسة الإرجاع")
            #expect(mail.html?.contains("dir=\"rtl\"") == true && mail.html?.contains("lang=\"ar\"") == true)
            #expect(mail.automationHeaders["auto-submitted"] == "auto-generated")
            #expect(mail.automaticReason != nil, "ingest would recognise it as automatic mail")
        }
    }

    @Test("a 4xx is retried later and then delivered once; a 550 fails at once in the server's words; a dead server gives up at the deadline")
    func failures() async throws {
        try await NotifyFixture.with("notify_failures") { fixture in
            let later = try await fixture.outbox(customerID: try await fixture.customer("tempfail@example.com"), locale: "en",
                                                 subject: "Your order", body: "On its way.", key: "test:tempfail")
            let asked = ContinuousClock.now
            guard case .later(let wait) = try await fixture.notifier.send(later, pool: fixture.pool) else {
                Issue.record("a 451 should be retried later")
                return
            }
            // 30 s jittered to 15–30 s when the send chose it, less what the call took after that.
            #expect(wait >= .seconds(15) - (ContinuousClock.now - asked) && wait <= .seconds(30))
            let afterFirst = try await fixture.status(later)
            #expect(afterFirst.status == "pending" && afterFirst.attempts == 1 && afterFirst.error?.contains("451") == true)
            // Not due yet: nothing is sent, and the job is told how long to wait.
            guard case .later = try await fixture.notifier.send(later, pool: fixture.pool) else {
                Issue.record("a row not due yet must wait")
                return
            }
            #expect(try fixture.peer.received().isEmpty)
            // Time passes (through the timestamp, not by sleeping).
            try await fixture.connection.execute("UPDATE outbox SET send_after = now() WHERE id = \(later)")
            #expect(try await fixture.notifier.send(later, pool: fixture.pool) == .sent)
            #expect(try fixture.peer.received().count == 1)
            #expect(try await fixture.events(later) == ["sending", "retry", "sending", "sent"])
            // Both attempts were the same message.
            #expect(try await fixture.status(later).attempts == 2)

            let refused = try await fixture.outbox(customerID: try await fixture.customer("refuse@example.com"), locale: "en",
                                                   subject: "Your order", body: "On its way.", key: "test:refuse")
            guard case .failed(let reason) = try await fixture.notifier.send(refused, pool: fixture.pool) else {
                Issue.record("a 550 must fail at once")
                return
            }
            #expect(reason.contains("550") && reason.contains("User unknown"), "\(reason)")
            #expect(try await fixture.status(refused).status == "failed")
            #expect(try await fixture.events(refused) == ["sending", "failed"])
            // The mailbox does not exist: the address is suppressed, and the next row to it is
            // suppressed without a word to the server.
            let sessions = fixture.peer.sessions()
            let again = try await fixture.outbox(customerID: try await fixture.connection.query(
                "SELECT customer_id FROM customer_identities WHERE value = 'refuse@example.com'").scalar(Int64.self),
                locale: "en", subject: "Your order", body: "Delivered.", key: "test:refuse:again")
            guard case .suppressed(let suppressed) = try await fixture.notifier.send(again, pool: fixture.pool) else {
                Issue.record("a suppressed address must not be tried")
                return
            }
            #expect(suppressed.hasPrefix("refuse@example.com is suppressed on email since ") && suppressed.contains(": SMTP 550"))
            #expect(fixture.peer.sessions() == sessions)
            #expect(try await fixture.status(again) == ("suppressed", 0, suppressed))
            #expect(try await fixture.events(again) == ["suppressed"])
            #expect(try await fixture.connection.query("SELECT count(*) FROM notify_suppressions WHERE address = 'refuse@example.com'").scalar(Int.self) == 1)

            // The relay is down: tried again until the row's deadline, then failed with the last error.
            try await fixture.connection.execute("UPDATE notify_providers SET endpoint = 'smtp+plain://127.0.0.1:9', settings = '{\"connect_timeout_ms\": 2000}'")
            let down = try await fixture.outbox(customerID: try await fixture.customer("emma@example.com"), locale: "en",
                                                subject: "Your order", body: "On its way.", key: "test:down")
            guard case .later = try await fixture.notifier.send(down, pool: fixture.pool) else {
                Issue.record("an unreachable relay must be retried")
                return
            }
            #expect(try await fixture.status(down).status == "pending")
            try await fixture.connection.execute("UPDATE outbox SET send_after = now(), created_at = now() - interval '2 days' WHERE id = \(down)")
            guard case .failed(let gaveUp) = try await fixture.notifier.send(down, pool: fixture.pool) else {
                Issue.record("past the deadline the row must fail")
                return
            }
            #expect(gaveUp.hasPrefix("gave up after 2 attempts"))
            #expect(try await fixture.events(down) == ["sending", "retry", "sending", "failed"])
        }
    }

    @Test("with no provider for the channel a row waits, unsent and without an attempt counted, and says why")
    func noProvider() async throws {
        try await NotifyFixture.with("notify_no_provider") { fixture in
            try await fixture.connection.execute("UPDATE notify_providers SET enabled = false")
            let id = try await fixture.outbox(customerID: try await fixture.customer("emma@example.com"), locale: "en",
                                              subject: "Hello", body: "Hello", key: "test:none")
            guard case .later(let wait) = try await fixture.notifier.send(id, pool: fixture.pool) else {
                Issue.record("a row without a provider should wait")
                return
            }
            // notify_settings.no_provider_wait, five minutes by default.
            #expect(wait > .seconds(290) && wait <= .seconds(300))
            let row = try await fixture.status(id)
            #expect(row.status == "pending" && row.attempts == 0 && row.error == "no enabled provider sends email")
            #expect(try await fixture.events(id) == ["deferred"])

            let nobody = try await fixture.outbox(customerID: try await fixture.connection.query(
                "INSERT INTO customers (store_id) VALUES (1) RETURNING id").scalar(Int64.self),
                locale: "en", subject: "Hello", body: "Hello", key: "test:nobody")
            try await fixture.connection.execute("UPDATE notify_providers SET enabled = true")
            #expect(try await fixture.notifier.send(nobody, pool: fixture.pool) == .failed(reason: "the customer has no email address"))
        }
    }

    @Test("a provider moved to another relay sends the next message there, not over the connection kept to the old one")
    func providerMoved() async throws {
        try await NotifyFixture.with("notify_provider_moved") { fixture in
            let customer = try await fixture.customer("emma@example.com")
            let first = try await fixture.outbox(customerID: customer, locale: "en", subject: "One", body: "One", key: "test:moved:1")
            #expect(try await fixture.notifier.send(first, pool: fixture.pool) == .sent)
            let relay = try await SMTPPeer.start()
            defer { relay.stop() }
            try await fixture.connection.execute("UPDATE notify_providers SET endpoint = \("smtp+plain://127.0.0.1:\(relay.port)")")
            let second = try await fixture.outbox(customerID: customer, locale: "en", subject: "Two", body: "Two", key: "test:moved:2")
            #expect(try await fixture.notifier.send(second, pool: fixture.pool) == .sent)
            #expect(try fixture.peer.received().count == 1)
            #expect(try relay.received().count == 1)
        }
    }

    @Test("sends queued behind a slow relay's only connection wait their turn: their timeout counts from their start, so none times out unsent")
    func backlogBehindSlowRelay() async throws {
        try await NotifyFixture.with("notify_slow_relay") { fixture in
            // Each message takes the relay 1 s; six of them queue on one connection for 6 s, well
            // past the 4 s a send may take (four times what one needs, for a loaded machine).
            try await fixture.connection.execute("""
                UPDATE notify_providers SET settings = '{"connections": 1, "timeout_ms": 4000}'
                """)
            let customer = try await fixture.customer("slow@example.com")
            var ids: [Int64] = []
            for n in 1...6 {
                ids.append(try await fixture.outbox(customerID: customer, locale: "en", subject: "Slow \(n)", body: "Slow \(n)", key: "test:slow:\(n)"))
            }
            let results = try await fixture.notifier.send(batch: ids, pool: fixture.pool)
            #expect(try ids.map { try results[$0]?.get() } == Array(repeating: .sent, count: 6))
            #expect(try fixture.peer.received().count == 6)
            #expect(fixture.peer.sessions() == 1)
        }
    }

    @Test("a provider row is refused when its endpoint, secret reference or settings are malformed")
    func badProviders() async throws {
        try await NotifyFixture.with("notify_bad_provider") { fixture in
            for (endpoint, secret, user) in [("http://relay.example:25", nil, nil), ("smtp://relay.example:25", "password123", "u"),
                                             ("smtp://relay.example:25", "env:SMTP_PASSWORD", nil)] as [(String, String?, String?)] {
                await #expect(throws: PostgresError.self, "\(endpoint) \(secret ?? "-")") {
                    try await fixture.connection.execute("""
                        INSERT INTO notify_providers (name, channel, kind, endpoint, username, secret_ref)
                        VALUES ('bad', 'email', 'smtp', \(endpoint), \(user), \(secret))
                        """)
                }
            }
        }
    }
}

@Suite("Notification worker, running")
struct NotifyWorkerTests {
    @Test("outbox rows written in one transaction are sent by a running worker through their jobs, each once, over reused connections")
    func workerSendsEachOnce() async throws {
        try await NotifyFixture.with("notify_worker") { fixture in
            var registry = JobRegistry()
            NotifyWorker.register(into: &registry, pool: fixture.pool, notifier: fixture.notifier)
            var configuration = JobWorkerConfiguration(queues: [HelpdeskJobs.notifyQueue: 8])
            configuration.pollInterval = .milliseconds(200)
            let worker = JobWorker(database: fixture.schema.configuration, configuration: configuration, registry: registry)
            let running = Task { try await worker.run() }
            var failure: (any Error)?
            do {
                let customer = try await fixture.customer("emma@example.com", name: "Emma")
                try await fixture.connection.execute("""
                    INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, subject, body_text, idempotency_key)
                    SELECT 1, \(customer), 'auto_answer', 'reply', 'email', 'en', 'Your question ' || n, 'Answer ' || n, 'test:worker:' || n
                      FROM generate_series(1, 30) AS n
                    """)
                let deadline = ContinuousClock.now + .seconds(60)
                while try await fixture.connection.query("SELECT count(*) FROM outbox WHERE status <> 'sent'").scalar(Int.self) > 0 {
                    guard ContinuousClock.now < deadline else { throw SMTPPeerError(description: "outbox rows still unsent after 60 s") }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let received = try fixture.peer.received()
                let ids = Set(try received.map { try ParsedEmail.parse($0.raw).messageID ?? "" })
                #expect(received.count == 30 && ids.count == 30)
                // At most one session per concurrent send: connections are kept and reused.
                #expect((1...8).contains(fixture.peer.sessions()), "\(fixture.peer.sessions()) SMTP sessions for 30 messages")
                #expect(ids == Set(try await fixture.connection.query("SELECT email_message_id FROM outbox").map { try $0.decode(String.self, at: 0) }))
                // Every job finished (completed jobs are deleted; the last completions land just
                // after the last rows are marked sent).
                let finished = ContinuousClock.now + .seconds(10)
                while try await fixture.connection.query("SELECT count(*) FROM jobs WHERE kind = 'notify'").scalar(Int.self) > 0,
                      ContinuousClock.now < finished {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await fixture.connection.query("SELECT count(*) FROM jobs WHERE kind = 'notify'").scalar(Int.self) == 0)
            } catch { failure = error }
            worker.beginDraining()
            try await withTimeout(.seconds(30), "worker shutdown") { try await running.value }
            if let failure { throw failure }
        }
    }
}

@Suite("docs/notify.md")
struct NotifyDocsTests {
    @Test("every SQL example in the notification guide runs as-is, in order, on a fresh schema")
    func examplesRun() async throws {
        let blocks = try sqlExamples(inDocs: "notify.md")
        #expect(blocks.count >= 5)
        try await TestDatabase.withConnection("notify_docs") { connection, schema in
            try await schema.migrate()
            for block in blocks {
                do {
                    try await connection.simpleQuery(unsafeSQL: block)
                } catch {
                    Issue.record("docs/notify.md example failed: \(error)\n\(block)")
                }
            }
            #expect(try await connection.query("SELECT count(*) FROM notify_providers WHERE enabled").scalar(Int.self) == 4, "the relay, the SMS gateway, Twilio and the social gateway")
            #expect(try await connection.query("SELECT retry_deadline = '6 hours' FROM notify_settings").scalar(Bool.self))
            #expect(try await connection.query("SELECT NOT granted FROM consent_defaults WHERE purpose = 'surveys'").scalar(Bool.self))
            #expect(try await connection.query("SELECT action FROM consent_keywords WHERE keyword = 'зупинити'").scalar(String.self) == "opt_out")
            #expect(try await connection.query("SELECT quiet_hours_end = '09:00' FROM stores WHERE code = 'default'").scalar(Bool.self))
            #expect(try await connection.query("SELECT max_messages FROM notify_caps WHERE name = 'contact budget'").scalar(Int.self) == 8)
            #expect(try await connection.query("SELECT count(*) FROM notify_templates WHERE store_id IS NOT NULL").scalar(Int.self) == 1)
            #expect(try await connection.query("SELECT channels FROM notification_rules WHERE name = 'order confirmation'").scalar([String].self) == ["email"])
            #expect(try await connection.query("SELECT link_lifetime = '30 days' FROM notify_settings").scalar(Bool.self))
        }
    }
}
