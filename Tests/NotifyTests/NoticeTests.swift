import EmailParsing
import Foundation
import Ingest
import Notify
import Postgres
import Testing
import TestSupport

extension HTTPFixture {
    /// Applies an order event as the ingest worker would (NotifyFixture.orderEvent).
    @discardableResult
    func orderEvent(_ number: String, _ kind: String, occurredAt: String = "now", payload: [String: Any] = [:]) async throws -> Int64 {
        try await base.orderEvent(number, kind, occurredAt: occurredAt, payload: payload)
    }

    func notices(_ order: Int64) async throws -> [(id: Int64, template: String, channel: String)] {
        try await connection.query("""
            SELECT id, template_kind, channel FROM outbox WHERE order_id = \(order) AND kind = 'order_notice' ORDER BY id
            """).map { (try $0.decode(Int64.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)) }
    }
}

@Suite("Order notices: rules, templates, stale news, the sweep")
struct NoticeTests {
    static var emailCustomer: [String: Any] { ["email": "olena@example.com", "name": "Олена Коваль"] }

    @Test("shipped: the rule writes one notice, rendered from the order's rows in the customer's language, and it reaches her mail")
    func shippedByEmail() async throws {
        try await HTTPFixture.with("notice_shipped") { f in
            let payload: [String: Any] = ["customer": Self.emailCustomer, "carrier": "Нова Пошта", "tracking_url": "https://track.example/59000123",
                                          "estimated_delivery": "2026-12-06", "items": [["name": "Чайник", "quantity": 1]]]
            let order = try await f.orderEvent("1001", "created", payload: payload)
            try await f.connection.execute("UPDATE customers SET preferred_locale = 'uk' WHERE name = 'Олена Коваль'")
            try await f.orderEvent("1001", "shipped", payload: payload)
            try await f.orderEvent("1001", "shipped", payload: payload)
            let notices = try await f.notices(order)
            #expect(notices.map(\.template) == ["order_confirmation", "order_shipped"], "one notice per order and rule")
            #expect(notices.allSatisfy { $0.channel == "email" })
            // Sent through the SMTP peer: subject and body from the Ukrainian template, the date in Ukrainian.
            let shipped = try #require(notices.last?.id)
            #expect(try await f.send(shipped) == .sent)
            let mail = try ParsedEmail.parse(try #require(try f.base.peer.received().last?.raw))
            #expect(mail.subject == "Замовлення 1001 вже в дорозі")
            let text = try #require(mail.text)
            #expect(text.hasPrefix("Вітаємо, Олена!"))
            #expect(text.contains("ваше замовлення 1001 відправлено службою Нова Пошта."))
            #expect(text.contains("Відстежити: https://track.example/59000123"))
            #expect(text.contains("6 грудня 2026"), "\(text)")
            #expect(!text.contains("{{") && !text.contains("SMS"), "no offer of SMS news without a phone")
            // What was rendered is kept on the row: a retry would send the same text.
            let kept = try await f.connection.query("SELECT body_text FROM outbox WHERE id = \(shipped)").scalar(String.self)
            #expect(kept == text.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test("a batch ends each row as it would end alone: a notice rendered and kept, a plain SMS, one not due, one sent before, one without a template, one suppressed, one missing")
    func batch() async throws {
        try await HTTPFixture.with("notify_batch") { f in
            let order = try await f.orderEvent("3001", "created", payload: ["customer": Self.emailCustomer, "total": 12, "currency": "UAH"])
            let notice = try #require(try await f.notices(order).first?.id)
            let sms = try await f.sms("Ваше замовлення прийнято", key: "batch:sms")
            let sentBefore = try await f.sms("Вже надіслано", key: "batch:before")
            #expect(try await f.send(sentBefore) == .sent)
            func row(_ key: String, _ template: String, purpose: String = "order_updates") async throws -> Int64 {
                try await f.connection.query("""
                    INSERT INTO outbox (store_id, customer_id, order_id, kind, purpose, channel, locale, template_kind, send_after, idempotency_key)
                    SELECT 1, customer_id, id, 'order_notice', \(purpose), 'email', 'uk', \(template), now() + \(key == "batch:later" ? "1 hour" : "0 seconds")::interval, \(key)
                      FROM orders WHERE id = \(order) RETURNING id
                    """).scalar(Int64.self)
            }
            let later = try await row("batch:later", "order_shipped")
            let untemplated = try await row("batch:no-template", "no_such_notice", purpose: "transactional")
            let refused = try await row("batch:refused", "order_shipped")
            try await f.connection.execute("""
                INSERT INTO consent_events (store_id, customer_id, channel, purpose, granted, source)
                SELECT 1, customer_id, 'email', 'order_updates', false, 'admin' FROM orders WHERE id = \(order)
                """)
            let missing: Int64 = 9_999_999

            let results = try await f.notifier.send(batch: [notice, sms, later, sentBefore, untemplated, refused, missing], pool: f.base.pool)
            let outcomes = results.mapValues { try? $0.get() }
            #expect(outcomes[notice] == .sent && outcomes[sms] == .sent)
            guard case .later(let wait)?? = outcomes[later] else { Issue.record("\(String(describing: outcomes[later]))"); return }
            #expect(wait > .seconds(3000))
            #expect(outcomes[sentBefore] == .alreadyDone && outcomes[missing] == .alreadyDone)
            guard case .failed(let why)?? = outcomes[untemplated] else { Issue.record("\(String(describing: outcomes[untemplated]))"); return }
            #expect(why.hasPrefix("no template no_such_notice"))
            guard case .suppressed(let reason)?? = outcomes[refused] else { Issue.record("\(String(describing: outcomes[refused]))"); return }
            #expect(reason.hasPrefix("no consent for order updates by email"))
            // The notice's text was kept on its row before it went, and is what the mail says.
            let mail = try ParsedEmail.parse(try #require(try f.base.peer.received().last?.raw))
            let kept = try await f.connection.query("SELECT subject FROM outbox WHERE id = \(notice)").scalar(String.self)
            #expect(mail.subject == kept && kept.contains("3001"))
            #expect(try await f.base.events(notice) == ["sending", "sent"])
            #expect(try await f.base.events(sms) == ["sending", "sent"])
            #expect(try f.peer.effects().filter { $0.key == "batch:before" }.count == 1, "a row sent before is not sent again")
        }
    }

    @Test("a late shipped event after delivery sends no stale news, and the audit says why; a delayed notice the order outran is suppressed when due")
    func staleNews() async throws {
        try await HTTPFixture.with("notice_stale") { f in
            let order = try await f.orderEvent("2001", "delivered", occurredAt: "2026-12-03 12:00+00", payload: ["customer": Self.emailCustomer])
            try await f.orderEvent("2001", "shipped", occurredAt: "2026-12-02 09:00+00")
            #expect(try await f.notices(order).map(\.template) == ["order_delivered"])
            let reason = try await f.connection.query("""
                SELECT detail->>'reason' FROM audit_events WHERE kind = 'order_notice_skipped' AND order_id = \(order)
                """).scalar(String.self)
            #expect(reason.hasPrefix("stale: the order is delivered since ") && reason.contains(", later than this shipped event of "), "\(reason)")

            // A rule with a delay: by the time its notice is due the order has moved on.
            try await f.connection.execute("UPDATE notification_rules SET delay = '2 hours' WHERE name = 'out for delivery'")
            let next = try await f.orderEvent("2002", "out_for_delivery", payload: ["customer": Self.emailCustomer])
            try await f.orderEvent("2002", "delivered")
            let late = try #require(try await f.notices(next).first { $0.template == "order_out_for_delivery" })
            try await f.connection.execute("UPDATE outbox SET send_after = now() WHERE id = \(late.id)")
            guard case .suppressed(let why) = try await f.send(late.id) else {
                Issue.record("news the order outran should be suppressed")
                return
            }
            #expect(why.hasPrefix("stale: the order is delivered since ") && why.hasSuffix("past this out_for_delivery news"))
        }
    }

    @Test("by SMS when the customer has only a phone: the short template, in her language, within the segment cap")
    func shippedBySMS() async throws {
        try await HTTPFixture.with("notice_sms") { f in
            try await f.connection.execute("UPDATE customers SET preferred_locale = 'ar' WHERE id = \(f.customer)")
            let order = try await f.orderEvent("3001", "shipped", payload: [
                "customer": ["phone": "+380501234567"], "carrier": "Aramex", "tracking_url": "https://track.example/A1"])
            let notice = try #require(try await f.notices(order).first)
            #expect(notice.channel == "sms" && notice.template == "order_shipped")
            #expect(try await f.send(notice.id) == .sent)
            let text = try #require(try f.peer.effects().last?.fields["text"] as? String)
            #expect(text == "Чайна Крамниця: تم شحن طلبك 3001 عبر Aramex. للتتبّع: https://track.example/A1")
            #expect(SMSText.segments(text) <= 3)
        }
    }

    @Test("a template that would not render is refused when written, saying what is wrong")
    func badTemplates() async throws {
        try await HTTPFixture.with("notice_templates") { f in
            let cases: [(body: String, problem: String)] = [
                ("Order {{order.numbr}} shipped", "unknown variable {{order.numbr}}"),
                ("{{#order.items}}{{name}}", "{{#order.items}} is never closed"),
                ("{{#order.items}}{{name}}{{/order}}", "{{/order}} closes {{#order.items}}"),
                ("Hi {{customer.name}", "a {{ is never closed by }}"),
                ("{{> footer}}", "partials ({{>footer}}) are not supported"),
            ]
            for c in cases {
                do {
                    try await f.connection.execute("INSERT INTO notify_templates (kind, locale, body) VALUES ('test_notice', 'en', \(c.body))")
                    Issue.record("\(c.body) should be refused")
                } catch let error as PostgresError {
                    #expect(error.message.hasPrefix("template test_notice (any channel, en) does not render: the body: \(c.problem)"), "\(error.message)")
                }
            }
            try await f.connection.execute("""
                INSERT INTO notify_templates (kind, locale, body) VALUES ('test_notice', 'en', 'Order {{order.number}}: {{#order.items}}{{name}} {{/order.items}}')
                """)
        }
    }

    @Test("the sweep finds a delivery overdue once, and a first order's anniversary, and nothing else")
    func sweep() async throws {
        try await HTTPFixture.with("notice_sweep") { f in
            let late = try await f.orderEvent("4001", "shipped", payload: ["customer": Self.emailCustomer, "estimated_delivery": "2026-01-05"])
            try await f.orderEvent("4002", "shipped", payload: ["customer": Self.emailCustomer, "estimated_delivery": "2099-01-05"])
            let delivered = try await f.orderEvent("4003", "delivered", payload: ["customer": Self.emailCustomer, "estimated_delivery": "2026-01-05"])
            let yearAgo = Calendar(identifier: .gregorian).date(byAdding: .year, value: -1, to: Date())!
            let first = try await f.orderEvent("4000", "created", occurredAt: ISO8601DateFormatter().string(from: yearAgo),
                                               payload: ["customer": ["email": "first@example.com"]])
            // A link long expired is forgotten by the sweep; one just expired is kept, to say so.
            try await f.connection.execute("""
                INSERT INTO customer_links (token_hash, store_id, customer_id, action, channel, purposes, expires_at)
                VALUES (sha256('old'), 1, \(f.customer), 'unsubscribe', 'email', '{marketing}', now() - interval '31 days'),
                       (sha256('new'), 1, \(f.customer), 'unsubscribe', 'email', '{marketing}', now() - interval '1 day')
                """)
            #expect(try await f.connection.query("SELECT notify_sweep()").scalar(Int.self) == 2)
            #expect(try await f.connection.query("SELECT count(*) FROM customer_links").scalar(Int.self) == 1)
            #expect(try await f.connection.query("SELECT notify_sweep()").scalar(Int.self) == 0, "once only")
            #expect(try await f.notices(late).map(\.template) == ["order_shipped", "order_overdue"])
            #expect(try await f.notices(delivered).map(\.template) == ["order_delivered"])
            #expect(try await f.notices(first).map(\.template).contains("first_order_anniversary"))
        }
    }

    @Test("SMS segments: GSM-7 160, then 153 a part; UCS-2 70, then 67; cut at a character with an ellipsis")
    func smsSegments() {
        #expect(SMSText.segments(String(repeating: "a", count: 160)) == 1)
        #expect(SMSText.segments(String(repeating: "a", count: 161)) == 2)
        #expect(SMSText.segments(String(repeating: "€", count: 80)) == 1, "an extension character takes two septets")
        #expect(SMSText.segments(String(repeating: "ж", count: 70)) == 1)
        #expect(SMSText.segments(String(repeating: "ж", count: 71)) == 2)
        let long = String(repeating: "Привіт, світ! ", count: 30)
        let cut = SMSText.truncated(long, toSegments: 2)
        #expect(SMSText.segments(cut) == 2 && cut.hasSuffix("…") && cut.count == 134)
        #expect(SMSText.truncated("short", toSegments: 1) == "short")
        #expect(SMSText.truncated(String(repeating: "b", count: 400), toSegments: 2) == String(repeating: "b", count: 303) + "...")
    }

    @Test("WhatsApp's 24-hour window: outside it a notice moves on to its next channel, an approved template goes, a reply without one is suppressed")
    func whatsAppWindow() async throws {
        try await HTTPFixture.with("notice_whatsapp") { f in
            try await f.connection.simpleQuery(unsafeSQL: """
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref)
                VALUES ('social hook', 'social', 'webhook', 'http://127.0.0.1:\(f.peer.port)/webhook/social', 'env:HOOK_SECRET');
                UPDATE notification_rules SET channels = '{social,email}' WHERE name = 'order shipped';
                INSERT INTO customer_identities (store_id, customer_id, kind, platform, value) VALUES
                    (1, \(f.customer), 'social', 'whatsapp', '+380501234567'), (1, \(f.customer), 'email', '', 'olena@example.com');
                WITH c AS (INSERT INTO conversations (store_id, customer_id, channel, status) VALUES (1, \(f.customer), 'social', 'resolved') RETURNING id)
                INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text, details, created_at)
                SELECT 1, id, 'inbound', 'customer', 'social', 'Дякую!', '{"platform": "whatsapp"}', now() - interval '2 days' FROM c;
                """)
            let order = try await f.orderEvent("5001", "shipped", payload: ["customer": ["email": "olena@example.com"]])
            let notice = try #require(try await f.notices(order).first)
            #expect(notice.channel == "social")
            guard case .later = try await f.send(notice.id) else {
                Issue.record("outside the window the notice should move on")
                return
            }
            #expect(try await f.connection.query("SELECT channel FROM outbox WHERE id = \(notice.id)").scalar(String.self) == "email")
            #expect(try await f.base.events(notice.id) == ["failover"])
            #expect(try await f.send(notice.id) == .sent)
            #expect(try f.base.peer.received().count == 1 && f.peer.effects().isEmpty)

            // With a template WhatsApp approved, it goes there, naming the template.
            try await f.connection.execute("""
                UPDATE notify_templates SET provider_template = 'order_shipped_v1' WHERE kind = 'order_shipped' AND channel IS NULL AND locale = 'en'
                """)
            let next = try await f.orderEvent("5002", "shipped", payload: ["customer": ["email": "olena@example.com"]])
            #expect(try await f.send(try #require(try await f.notices(next).first).id) == .sent)
            let sent = try #require(try f.peer.effects().last?.fields)
            #expect(sent["template"] as? String == "order_shipped_v1" && sent["platform"] as? String == "whatsapp")

            // A reply has no template and nowhere else to go.
            let reply = try await f.connection.query("""
                INSERT INTO outbox (store_id, customer_id, conversation_id, kind, purpose, channel, locale, body_text, idempotency_key)
                SELECT 1, \(f.customer), id, 'reply', 'reply', 'social', 'uk', 'Будь ласка!', 'wa:reply' FROM conversations WHERE channel = 'social'
                RETURNING id
                """).scalar(Int64.self)
            guard case .suppressed(let reason) = try await f.send(reply) else {
                Issue.record("a reply outside the window should be suppressed")
                return
            }
            #expect(reason.hasPrefix("outside WhatsApp's 24:00:00 service window (the customer last wrote there "), "\(reason)")
        }
    }
}
