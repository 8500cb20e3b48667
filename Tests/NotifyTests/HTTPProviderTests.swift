import Foundation
import JobQueue
import Helpdesk
import Notify
import Postgres
import Testing
import TestSupport

/// The notification fixture with a real HTTP provider on loopback as well: a signed webhook for
/// SMS at priority 10 (`hook`), Twilio's API for SMS disabled (`twilio`), and a customer with a phone.
struct HTTPFixture {
    let base: NotifyFixture
    let peer: HTTPPeer
    let notifier: Notifier
    let customer: Int64
    var connection: PostgresConnection { base.connection }

    static let environment = ["HOOK_SECRET": HTTPPeer.secret, "TWILIO_TOKEN": HTTPPeer.twilioToken]

    static func with(_ label: String, _ body: (HTTPFixture) async throws -> Void) async throws {
        try await NotifyFixture.with(label) { base in
            let peer = try await HTTPPeer.start()
            defer { peer.stop() }
            let url = "http://127.0.0.1:\(peer.port)"
            // Proactive rows must not wait for the night to pass in Kyiv when the tests run then;
            // the quiet-hours tests turn them back on.
            try await base.connection.execute("UPDATE stores SET quiet_hours_start = NULL, quiet_hours_end = NULL")
            try await base.connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref, priority)
                VALUES ('hook', 'sms', 'webhook', \(url + "/webhook/sms"), 'env:HOOK_SECRET', 10)
                """)
            try await base.connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, username, secret_ref, settings, enabled)
                VALUES ('twilio', 'sms', 'twilio', \(url + "/2010-04-01/Accounts/\(HTTPPeer.twilioAccount)/Messages.json"),
                        \(HTTPPeer.twilioAccount), 'env:TWILIO_TOKEN', '{"from": "+15017122661"}', false)
                """)
            let customer = try await base.connection.query("""
                WITH c AS (INSERT INTO customers (store_id, name) VALUES (1, 'Олена') RETURNING id)
                INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'phone', '+380501234567' FROM c
                RETURNING customer_id
                """).scalar(Int64.self)
            let notifier = Notifier(retry: NotifyRetryPolicy(base: .seconds(30)), environment: environment)
            try await body(HTTPFixture(base: base, peer: peer, notifier: notifier, customer: customer))
        }
    }

    func sms(_ body: String, key: String, customer: Int64? = nil) async throws -> Int64 {
        try await base.outbox(kind: "order_update", purpose: "order_updates", channel: "sms", customerID: customer ?? self.customer,
                              locale: "uk", subject: nil, body: body, key: key)
    }

    func send(_ id: Int64) async throws -> NotifyOutcome { try await notifier.send(id, pool: base.pool) }
}

@Suite("Notification worker over real HTTP providers")
struct HTTPProviderTests {
    @Test("a webhook send is signed, carries the outbox key as Idempotency-Key, and a resend after a lost commit makes no second effect")
    func webhookIdempotent() async throws {
        try await HTTPFixture.with("notify_webhook") { f in
            let id = try await f.sms("Ваше замовлення 1001 відправлено", key: "order:1001:shipped")
            #expect(try await f.send(id) == .sent)
            let effects = try f.peer.effects()
            #expect(effects.count == 1 && effects.first?.key == "order:1001:shipped")
            let message = try #require(effects.first?.fields)
            #expect(message["to"] as? String == "+380501234567" && message["text"] as? String == "Ваше замовлення 1001 відправлено")
            #expect(message["to_name"] as? String == "Олена" && message["locale"] as? String == "uk" && message["channel"] as? String == "sms")
            #expect(message["outbox_id"] as? Int == Int(id) && message["store"] as? String == "default")
            #expect(try await f.connection.query("SELECT provider_message_id FROM outbox WHERE id = \(id)").scalar(String.self) == effects.first?.messageID)
            #expect(try f.peer.rejected() == 0, "the peer checked the signature")

            // The worker died after the provider accepted and before notify_sent committed.
            try await f.connection.execute("UPDATE outbox SET status = 'sending' WHERE id = \(id)")
            #expect(try await f.send(id) == .sent)
            #expect(try f.peer.requests().map(\.key) == ["order:1001:shipped", "order:1001:shipped"])
            #expect(try f.peer.effects().count == 1, "the same key: the provider made one message")
            #expect(try await f.base.events(id) == ["sending", "sent", "sending", "sent"])
        }
    }

    @Test("a wrong signing secret is an operator's problem: the row is retried, not failed, and says why")
    func badSecret() async throws {
        try await HTTPFixture.with("notify_webhook_secret") { f in
            let notifier = Notifier(environment: ["HOOK_SECRET": "not-the-secret"])
            let id = try await f.sms("Привіт", key: "secret:1")
            guard case .later = try await notifier.send(id, pool: f.base.pool) else {
                Issue.record("a refused signature should be retried")
                return
            }
            let row = try await f.base.status(id)
            #expect(row.status == "pending" && row.error?.hasPrefix("HTTP 401") == true)
            #expect(try f.peer.rejected() == 1 && f.peer.effects().isEmpty)
        }
    }

    @Test("Twilio's API: a form POST with Basic auth, the sid kept; an invalid number fails in Twilio's words and is suppressed from then on")
    func twilio() async throws {
        try await HTTPFixture.with("notify_twilio") { f in
            try await f.connection.execute("UPDATE notify_providers SET enabled = (kind = 'twilio')")
            let id = try await f.sms("Ваше замовлення в дорозі", key: "twilio:1")
            #expect(try await f.send(id) == .sent)
            let form = try #require(try f.peer.effects().first?.fields)
            #expect(form["To"] as? String == "+380501234567" && form["From"] as? String == "+15017122661")
            #expect(form["Body"] as? String == "Ваше замовлення в дорозі")
            let sid = try await f.connection.query("SELECT provider_message_id FROM outbox WHERE id = \(id)").scalar(String.self)
            #expect(sid.hasPrefix("SM") && sid.count == 34)

            let invalid = try await f.connection.query("""
                WITH c AS (INSERT INTO customers (store_id) VALUES (1) RETURNING id)
                INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'phone', '+15005550001' FROM c
                RETURNING customer_id
                """).scalar(Int64.self)
            let refused = try await f.sms("Hello", key: "twilio:2", customer: invalid)
            guard case .failed(let reason) = try await f.send(refused) else {
                Issue.record("an invalid number should fail")
                return
            }
            #expect(reason == "HTTP 400 (Twilio error 21211): The 'To' number +15005550001 is not a valid phone number.")
            // The next message to that number is suppressed at once, without a request.
            let requests = try f.peer.requests().count
            guard case .suppressed(let again) = try await f.send(try await f.sms("Hello again", key: "twilio:3", customer: invalid)) else {
                Issue.record("a suppressed number should fail")
                return
            }
            #expect(again.hasPrefix("+15005550001 is suppressed on sms since ") && again.contains(": HTTP 400 (Twilio error 21211)"))
            #expect(try f.peer.requests().count == requests)
        }
    }

    @Test("503 with Retry-After: the row waits as long as the provider asked, and the provider is paused for everyone")
    func retryAfter() async throws {
        try await HTTPFixture.with("notify_retry_after") { f in
            try await f.peer.fail(status: 503, count: 1, retryAfter: "120")
            let id = try await f.sms("Привіт", key: "later:1")
            guard case .later(let wait) = try await f.send(id) else {
                Issue.record("a 503 should be retried")
                return
            }
            #expect(wait > .seconds(115) && wait <= .seconds(120), "the 30 s backoff gives way to the provider's 120 s")
            #expect(try await f.connection.query("""
                SELECT open_until > now() + interval '115 seconds' FROM notify_provider_health
                 WHERE provider_id = (SELECT id FROM notify_providers WHERE name = 'hook')
                """).scalar(Bool.self))
            // Another row meanwhile waits for the provider without asking it.
            let other = try await f.sms("Ще раз", key: "later:2")
            guard case .later = try await f.send(other) else {
                Issue.record("a paused provider's rows should wait")
                return
            }
            #expect(try f.peer.requests().count == 1)
            #expect(try await f.base.events(other) == ["deferred"])
            #expect(try await f.base.status(other).error?.contains("hook is unavailable until") == true)
        }
    }

    @Test("failover: a failing provider hands the row to the channel's next one at once; after enough failures its circuit opens")
    func failover() async throws {
        try await HTTPFixture.with("notify_failover") { f in
            try await f.connection.execute("UPDATE notify_settings SET circuit_failures = 2")
            try await f.connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref, priority)
                VALUES ('backup', 'sms', 'webhook', \("http://127.0.0.1:\(f.peer.port)/webhook/backup"), 'env:HOOK_SECRET', 20)
                """)
            // Each row's first request fails: at `hook`, tried first; the failover to backup passes.
            try await f.peer.fail(status: 500, count: 1)
            let first = try await f.sms("Один", key: "fo:1")
            #expect(try await f.send(first) == .sent)
            #expect(try await f.base.events(first) == ["sending", "retry", "failover", "sending", "sent"])
            try await f.peer.fail(status: 500, count: 1)
            let second = try await f.sms("Два", key: "fo:2")
            #expect(try await f.send(second) == .sent)
            // Two failures in a row: hook's circuit is open, so the third row goes straight to backup.
            let third = try await f.sms("Три", key: "fo:3")
            #expect(try await f.send(third) == .sent)
            #expect(try await f.base.events(third) == ["sending", "sent"])
            let paths = try f.peer.requests().map(\.path)
            #expect(paths == ["/webhook/sms", "/webhook/backup", "/webhook/sms", "/webhook/backup", "/webhook/backup"])
            #expect(try await f.connection.query("""
                SELECT p.name FROM outbox o JOIN notify_providers p ON p.id = o.provider_id WHERE o.id = \(third)
                """).scalar(String.self) == "backup")
        }
    }

    @Test("410 Gone: the recipient no longer exists, so the row fails and the address is suppressed")
    func gone() async throws {
        try await HTTPFixture.with("notify_gone") { f in
            let customer = try await f.connection.query("""
                WITH c AS (INSERT INTO customers (store_id) VALUES (1) RETURNING id)
                INSERT INTO customer_identities (store_id, customer_id, kind, platform, value) SELECT 1, id, 'social', 'messenger', 'gone-4471' FROM c
                RETURNING customer_id
                """).scalar(Int64.self)
            try await f.connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref)
                VALUES ('social hook', 'social', 'webhook', \("http://127.0.0.1:\(f.peer.port)/webhook/social"), 'env:HOOK_SECRET')
                """)
            let id = try await f.connection.query("""
                INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key)
                VALUES (1, \(customer), 'order_update', 'order_updates', 'social', 'en', 'Hi', 'gone:1') RETURNING id
                """).scalar(Int64.self)
            #expect(try await f.send(id) == .failed(reason: "HTTP 410: this recipient no longer exists"))
            #expect(try await f.connection.query("SELECT count(*) FROM notify_suppressions WHERE channel = 'social' AND address = 'gone-4471'")
                .scalar(Int.self) == 1)
        }
    }

    @Test("delivery receipts: delivered then read, a late delivered keeps read; an unknown status is refused with what is allowed")
    func receipts() async throws {
        try await HTTPFixture.with("notify_receipts") { f in
            let id = try await f.sms("Привіт", key: "receipt:1")
            #expect(try await f.send(id) == .sent)
            let provider = try await f.connection.query("SELECT provider_id FROM outbox WHERE id = \(id)").scalar(Int64.self)
            let messageID = try await f.connection.query("SELECT provider_message_id FROM outbox WHERE id = \(id)").scalar(String.self)
            for status in ["delivered", "read", "delivered"] {
                #expect(try await f.connection.query("SELECT notify_receipt(\(provider), \(messageID), \(status))").first?.decode(Int64?.self, at: 0) == id)
            }
            #expect(try await f.connection.query("SELECT delivery_status FROM outbox WHERE id = \(id)").scalar(String.self) == "read")
            #expect(try await f.base.events(id) == ["sending", "sent", "delivered", "read", "delivered"])
            #expect(try await f.connection.query("SELECT notify_receipt(\(provider), 'no-such-id', 'read')").first?.decode(Int64?.self, at: 0) == .some(nil))
            await #expect(throws: PostgresError.self) {
                try await f.connection.execute("SELECT notify_receipt(\(provider), \(messageID), 'opened')")
            }
        }
    }

    @Test("a channel that cannot take a notice — refused for good, failing past the deadline — hands it to the customer's next allowed channel, each step recorded")
    func channelFailover() async throws {
        try await HTTPFixture.with("notify_channel_failover") { f in
            try await f.connection.execute("""
                INSERT INTO customer_identities (store_id, customer_id, kind, value) VALUES (1, \(f.customer), 'email', 'olena@example.com')
                """)
            func notice(_ key: String, createdAgo: String = "0 seconds") async throws -> Int64 {
                try await f.connection.query("""
                    INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, fallback_channels, locale, subject, body_text,
                                        idempotency_key, created_at)
                    VALUES (1, \(f.customer), 'order_update', 'order_updates', 'sms', '{email}', 'uk', 'Замовлення 1001', 'Вже в дорозі',
                            \(key), now() - \(createdAgo)::interval) RETURNING id
                    """).scalar(Int64.self)
            }
            func failover(_ id: Int64) async throws -> String {
                try await f.connection.query("SELECT detail FROM notify_events WHERE outbox_id = \(id) AND event = 'failover'").scalar(String.self)
            }
            // Refused for good by the SMS provider: on to email at once, in the same call.
            try await f.peer.fail(status: 400, count: 1)
            let refused = try await notice("failover:refused")
            #expect(try await f.send(refused) == .sent)
            #expect(try await f.base.events(refused) == ["sending", "failover", "sending", "sent"])
            let step = try await failover(refused)
            #expect(step.hasPrefix("HTTP 400") && step.hasSuffix("on to email"), "\(step)")
            #expect(try await f.connection.query("SELECT channel FROM outbox WHERE id = \(refused)").scalar(String.self) == "email")
            #expect(try f.base.peer.received().last.map { SMTPPeer.header("To", of: $0.raw) ?? "" }?.contains("olena@example.com") == true)

            // Failing for longer than the deadline: on to email, whose provider gets a deadline of its own.
            try await f.peer.fail(status: 503, count: 1)
            let late = try await notice("failover:late", createdAgo: "25 hours")
            #expect(try await f.send(late) == .sent)
            let gaveUp = try await failover(late)
            #expect(gaveUp.hasPrefix("gave up after 1 attempt: HTTP 503"), "\(gaveUp)")

            // A channel the customer refused is no way out: with none left, the notice fails.
            try await f.connection.execute("""
                INSERT INTO consent_events (store_id, customer_id, channel, purpose, granted, source) VALUES (1, \(f.customer), 'email', 'order_updates', false, 'admin')
                """)
            try await f.peer.fail(status: 400, count: 1)
            let stuck = try await notice("failover:none")
            guard case .failed(let reason) = try await f.send(stuck) else { Issue.record("the notice did not fail"); return }
            #expect(reason.hasPrefix("HTTP 400"))
            #expect(try await f.base.events(stuck) == ["sending", "failed"])
        }
    }

    @Test("an HTTP provider row is refused when its kind, channel, endpoint or secret do not fit")
    func badProviders() async throws {
        try await HTTPFixture.with("notify_http_bad") { f in
            let bad: [(kind: String, channel: String, endpoint: String, user: String?, secret: String?)] = [
                ("webhook", "sms", "ftp://hooks.example/x", nil, "env:S"),      // not http(s)
                ("webhook", "sms", "https://hooks.example/x", nil, nil),       // unsigned
                ("twilio", "email", "https://api.twilio.com/x", "AC1", "env:T"), // Twilio sends SMS
                ("twilio", "sms", "https://api.twilio.com/x", nil, "env:T"),     // no account
                ("smtp", "sms", "smtp://relay.example:25", nil, nil),            // SMTP sends email
            ]
            for row in bad {
                await #expect(throws: PostgresError.self, "\(row)") {
                    try await f.connection.execute("""
                        INSERT INTO notify_providers (name, channel, kind, endpoint, username, secret_ref)
                        VALUES ('bad', \(row.channel), \(row.kind), \(row.endpoint), \(row.user), \(row.secret))
                        """)
                }
            }
        }
    }
}

@Suite("Notification worker, HTTP provider down")
struct HTTPProviderOutageTests {
    @Test("the provider down for 30 s: messages late, none lost, none failed, one effect each")
    func providerDown() async throws {
        try await HTTPFixture.with("notify_http_down") { f in
            try await f.connection.execute("UPDATE notify_settings SET circuit_cooldown = '1 second', circuit_failures = 3")
            var registry = JobRegistry()
            let notifier = Notifier(retry: NotifyRetryPolicy(base: .milliseconds(500), maximum: .seconds(2)), environment: HTTPFixture.environment)
            NotifyWorker.register(into: &registry, pool: f.base.pool, notifier: notifier)
            var configuration = JobWorkerConfiguration(queues: [HelpdeskJobs.notifyQueue: 8])
            configuration.pollInterval = .milliseconds(200)
            let worker = JobWorker(database: f.base.schema.configuration, configuration: configuration, registry: registry)
            let running = Task { try await worker.run() }
            var failure: (any Error)?
            do {
                f.peer.goDown()
                try await f.connection.execute("""
                    INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key)
                    SELECT 1, \(f.customer), 'order_update', 'order_updates', 'sms', 'uk', 'Повідомлення ' || n, 'down:' || n FROM generate_series(1, 200) AS n
                    """)
                // Down long enough for rows to have failed, waited and been deferred by the open circuit.
                // Generous: the whole suite shares two cores with this worker.
                let start = ContinuousClock.now
                while try await f.connection.query("SELECT count(*) FROM notify_events WHERE event = 'deferred'").scalar(Int.self) < 50 {
                    guard ContinuousClock.now < start + .seconds(180) else {
                        let events = try await f.connection.query("""
                            SELECT coalesce(string_agg(event || ' ' || n, ', ' ORDER BY event), 'none')
                              FROM (SELECT event, count(*) AS n FROM notify_events GROUP BY 1) x
                            """).scalar(String.self)
                        let statuses = try await f.connection.query("""
                            SELECT string_agg(status || ' ' || n, ', ' ORDER BY status) FROM (SELECT status, count(*) AS n FROM outbox GROUP BY 1) x
                            """).scalar(String.self)
                        throw SMTPPeerError(description: "fewer than 50 deferrals in 180 s while the provider was down; events: \(events); outbox: \(statuses)")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                // Down for 30 s in all, as a provider's short outage would be.
                let down = ContinuousClock.now - start
                if down < .seconds(30) { try await Task.sleep(for: .seconds(30) - down) }
                try await f.peer.comeBack()
                let deadline = ContinuousClock.now + .seconds(90)
                while try await f.connection.query("SELECT count(*) FROM outbox WHERE status <> 'sent'").scalar(Int.self) > 0 {
                    #expect(try await f.connection.query("SELECT count(*) FROM outbox WHERE status = 'failed'").scalar(Int.self) == 0)
                    guard ContinuousClock.now < deadline else { throw SMTPPeerError(description: "rows still unsent 90 s after the provider came back") }
                    try await Task.sleep(for: .milliseconds(200))
                }
                let keys = try f.peer.effects().compactMap(\.key)
                #expect(keys.count == 200 && Set(keys) == Set((1...200).map { "down:\($0)" }))
                #expect(try await f.connection.query("SELECT count(*) FROM notify_events WHERE event = 'retry'").scalar(Int.self) > 0)
            } catch { failure = error }
            worker.beginDraining()
            try await withTimeout(.seconds(30), "worker shutdown") { try await running.value }
            if let failure { throw failure }
        }
    }
}
