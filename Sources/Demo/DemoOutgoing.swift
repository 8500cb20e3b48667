import Foundation
import LoopbackSinks
import Postgres

/// The demo's outgoing side: a loopback SMTP sink and HTTP sink stand in for the shop's mail
/// and messaging providers; eight shoppers around the world whose orders move along; and a few
/// lines on the screen for what leaves — bot answers, agents' replies, order notices — and for
/// what is held back, with the reason the notification worker recorded.
final class DemoOutgoing: Sendable {
    let mail: MailSink
    let http: HTTPSink
    private let directory: URL

    /// Shoppers in many time zones, so that at any hour some are inside their quiet hours and some
    /// are not; Irina unsubscribed from order news by email, Olena asked for it by SMS too.
    private static let shoppers: [(name: String, locale: String, zone: String, email: String, phone: String)] = [
        ("Olena Koval", "uk", "Europe/Kyiv", "olena.koval@example.com", "+380501112201"),
        ("Marek Nowak", "pl", "Europe/Warsaw", "marek.nowak@example.com", "+48601112202"),
        ("Amal Haddad", "ar", "Asia/Riyadh", "amal.haddad@example.com", "+966501112203"),
        ("Li Wei", "zh", "Asia/Shanghai", "li.wei@example.com", "+8613811112204"),
        ("Emma Wilson", "en", "America/New_York", "emma.wilson@example.com", "+12125551205"),
        ("Irina Petrova", "ru", "Europe/Moscow", "irina.petrova@example.com", "+79161112206"),
        ("Jack Brown", "en", "America/Los_Angeles", "jack.brown@example.com", "+13105551207"),
        ("Chloe Martin", "en", "Australia/Sydney", "chloe.martin@example.com", "+61401112208"),
    ]
    /// The journey each shopper's order takes, one step per order event.
    private static let journey = ["created", "shipped", "out_for_delivery", "delivered"]

    /// Starts the sinks and makes them the demo store's providers: SMTP for email, a signed
    /// webhook (its secret in a file, as a mounted secret would be) for SMS, chat and social.
    static func start(_ pool: PostgresPool) async throws -> DemoOutgoing {
        let directory = FileManager.default.temporaryDirectory.appending(path: "switchboard-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let secretFile = directory.appending(path: "webhook-secret")
        let secret = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
        try secret.write(to: secretFile, atomically: true, encoding: .utf8)
        let outgoing = DemoOutgoing(mail: try MailSink(), http: try HTTPSink(), directory: directory)
        let hook = "http://127.0.0.1:\(outgoing.http.port)/messages"
        try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint)
                VALUES ('demo mail sink', 'email', 'smtp', \("smtp+plain://127.0.0.1:\(outgoing.mail.port)"))
                """)
            try connection.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref)
                SELECT 'demo ' || ch || ' hook', ch, 'webhook', \(hook) || '/' || ch, \("file:" + secretFile.path)
                  FROM unnest('{sms,chat,social}'::text[]) AS ch
                """)
            for shopper in shoppers {
                try connection.execute("""
                    WITH c AS (INSERT INTO customers (store_id, name, preferred_locale, time_zone)
                               VALUES (1, \(shopper.name), \(shopper.locale), \(shopper.zone)) RETURNING id)
                    INSERT INTO customer_identities (store_id, customer_id, kind, value)
                    SELECT 1, c.id, k, v FROM c, (VALUES ('email', \(shopper.email)), ('phone', \(shopper.phone))) AS i(k, v)
                    """)
            }
            try connection.execute("""
                INSERT INTO consent_events (store_id, customer_id, channel, purpose, granted, source)
                SELECT 1, customer_id, ch, 'order_updates', granted, src FROM customer_identities i,
                       (VALUES ('irina.petrova@example.com', 'email', false, 'unsubscribe_link'),
                               ('olena.koval@example.com', 'sms', true, 'checkout')) AS x(address, ch, granted, src)
                 WHERE i.kind = 'email' AND i.value = x.address
                """)
        }
        return outgoing
    }

    private init(mail: MailSink, http: HTTPSink, directory: URL) {
        self.mail = mail
        self.http = http
        self.directory = directory
    }

    /// The shop's next order event: shopper `step` mod 8 takes their order one step further.
    func orderNews(_ pool: PostgresPool, step: Int) async throws {
        let shopper = Self.shoppers[step % Self.shoppers.count]
        let kind = Self.journey[(step / Self.shoppers.count) % Self.journey.count]
        let number = "D\(2001 + step % Self.shoppers.count)"
        let payload = """
            {"customer": {"email": "\(shopper.email)", "phone": "\(shopper.phone)", "name": "\(shopper.name)"},
             "total": \(40 + step % 7 * 15), "currency": "EUR", "carrier": "DHL",
             "tracking_url": "https://www.dhl.com/track?id=JD0146\(2001 + step % Self.shoppers.count)"}
            """
        try await pool.withConnection { connection in
            try connection.execute("INSERT INTO order_events (order_number, kind, payload) VALUES (\(number), \(kind), \(payload)::jsonb)")
        }
    }

    /// Lines for what left or was held back since notify event `after` (at most `limit`, the rest
    /// counted), and the last event seen.
    func lines(_ pool: PostgresPool, after: Int64, limit: Int = 4) async throws -> (lines: [String], last: Int64) {
        let rows = try await pool.query("""
            SELECT e.id, e.event, notify_channel(o.channel), o.locale,
                   CASE o.kind WHEN 'auto_answer' THEN 'bot answer' WHEN 'reply' THEN 'agent reply'
                               WHEN 'order_notice' THEN replace(coalesce(o.template_kind, 'order notice'), '_', ' ')
                               ELSE replace(o.kind, '_', ' ') END,
                   coalesce(o.recipient, (notify_address(o)).p_address, '(no address)'),
                   coalesce(nullif(o.subject, ''), split_part(coalesce(o.body_text, ''), E'\\n', 1)),
                   regexp_replace(coalesce(e.detail, ''), '; until [^;]*$', '')
              FROM notify_events e JOIN outbox o ON o.id = e.outbox_id
             WHERE e.id > \(after) AND e.event IN ('sent', 'deferred', 'suppressed', 'failed')
             ORDER BY e.id
            """)
        let last = try rows.last?.decode(Int64.self, at: 0) ?? after
        // Held-back messages first, then order notices, then the rest; shown in the order they happened.
        func rank(_ row: PostgresRow) throws -> Int {
            if try row.decode(String.self, at: 1) != "sent" { return 0 }
            return try row.decode(String.self, at: 4).hasPrefix("order") ? 1 : 2
        }
        let ranked = try rows.indices.sorted { (try rank(rows[$0]), $0) < (try rank(rows[$1]), $1) }
        let shown = Set(ranked.prefix(limit))
        var lines: [String] = []
        for (index, row) in rows.enumerated() where shown.contains(index) {
            let event = try row.decode(String.self, at: 1)
            let what = "\(try row.decode(String.self, at: 2).padding(toLength: 7, withPad: " ", startingAt: 0))"
                + "\(try row.decode(String.self, at: 3).padding(toLength: 3, withPad: " ", startingAt: 0))"
                + "\(try row.decode(String.self, at: 4).padding(toLength: 24, withPad: " ", startingAt: 0))"
            let detail = try row.decode(String.self, at: 7)
            switch event {
            case "sent":
                let text = try row.decode(String.self, at: 6)
                lines.append("  → \(what)\(try row.decode(String.self, at: 5))  “\(text.count > 48 ? String(text.prefix(47)) + "…" : text)”")
            case "deferred": lines.append("  ⏸ \(what)held: \(detail)")
            case "suppressed": lines.append("  ✗ \(what)not sent: \(detail)")
            default: lines.append("  ✗ \(what)failed: \(detail)")
            }
        }
        if rows.count > shown.count { lines.append("    … and \(rows.count - shown.count) more") }
        return (lines, last)
    }

    /// What went out against what the sinks took: every message the outbox calls sent reached
    /// its sink. Run after the workers stopped.
    func summary(_ pool: PostgresPool) async throws -> String {
        let row = try await pool.query("""
            SELECT count(*) FILTER (WHERE status = 'sent' AND notify_channel(channel) = 'email'),
                   count(*) FILTER (WHERE status = 'sent' AND notify_channel(channel) <> 'email'),
                   count(*) FILTER (WHERE status = 'pending' AND send_after > now()),
                   count(*) FILTER (WHERE status = 'suppressed')
              FROM outbox
            """)[0]
        let (mails, others, held, suppressed) = (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1),
                                                 try row.decode(Int.self, at: 2), try row.decode(Int.self, at: 3))
        try DemoChecks.expect(mails + others > 0, "nothing left the outbox")
        try DemoChecks.expect(mail.messages >= mails, "the outbox calls \(mails) mails sent but the mail sink took \(mail.messages)")
        try DemoChecks.expect(http.requests >= others, "the outbox calls \(others) messages sent but the HTTP sink took \(http.requests)")
        return "\(mails) mails reached the mail sink and \(others) messages the HTTP sink; \(held) held back, \(suppressed) not sent (each says why)"
    }

    func stop() {
        mail.stop()
        http.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
