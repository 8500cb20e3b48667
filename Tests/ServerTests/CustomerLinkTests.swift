import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Postgres
import Testing
import TestSupport

@Suite("Customer links: the unsubscribe and SMS opt-in pages")
struct CustomerLinkTests {
    struct Page { let status: Int; let html: String; let headers: HTTPHeaders }

    static func page(_ url: String, post body: String? = nil) async throws -> Page {
        var request = HTTPClientRequest(url: url)
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: body))
        }
        request.headers.replaceOrAdd(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return Page(status: Int(response.status.code), html: String(buffer: try await response.body.collect(upTo: 1 << 20)), headers: response.headers)
    }

    /// A link made as the notify worker makes them, for a customer who reads `locale`.
    static func link(_ f: ServerFixture, locale: String, action: String, channel: String, purposes: [String], key: String) async throws -> (url: String, customer: Int64) {
        let customer = try await f.connection.query("""
            INSERT INTO customers (store_id, name, preferred_locale) VALUES (1, 'Customer', \(locale)) RETURNING id
            """).scalar(Int64.self)
        let outbox = try await f.connection.query("""
            INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key)
            VALUES (1, \(customer), 'order_update', 'order_updates', \(channel), \(locale), 'Hi', \(key)) RETURNING id
            """).scalar(Int64.self)
        let url = try await f.connection.query("""
            SELECT customer_link_create(o, \(action), \(channel), \(purposes)::text[]) FROM outbox o WHERE id = \(outbox)
            """).scalar(String.self)
        return (url, customer)
    }

    @Test("GET shows and asks, changing nothing; the mail client's one-click POST unsubscribes; a second use and an expired link get a clear page")
    func unsubscribe() async throws {
        try await ServerFixture.with("links") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = \(f.base)")
            try await f.connection.execute("UPDATE stores SET name = 'Crafts <b>&</b> Co' WHERE id = 1")
            let (url, customer) = try await Self.link(f, locale: "uk", action: "unsubscribe", channel: "email", purposes: ["marketing", "order_updates"], key: "l1")
            #expect(url.hasPrefix(f.base + "/u/"))

            let shown = try await Self.page(url)
            #expect(shown.status == 200)
            #expect(shown.html.contains(#"<html lang="uk" dir="ltr">"#) && shown.html.contains("Більше не отримувати ці повідомлення?"))
            #expect(shown.html.contains("новини та пропозиції, новини про замовлення") && shown.html.contains("Електронна пошта"))
            #expect(shown.html.contains("Crafts &lt;b&gt;&amp;&lt;/b&gt; Co") && !shown.html.contains("<b>"))
            #expect(shown.html.contains(#"<form method="post">"#) && !shown.html.lowercased().contains("<script"))
            #expect(shown.headers.first(name: "Referrer-Policy") == "no-referrer" && shown.headers.first(name: "Cache-Control") == "no-store")
            #expect(try await f.int("SELECT count(*) FROM consent_events") == 0)

            let done = try await Self.page(url, post: "List-Unsubscribe=One-Click")
            #expect(done.status == 200 && done.html.contains("Готово") && done.html.contains("Ви більше не отримуватимете"))
            #expect(!done.html.contains("<form") && !done.html.contains("nil"), "a finished page asks nothing more")
            #expect(try await f.int("""
                SELECT count(*) FROM consent_events WHERE customer_id = \(customer) AND channel = 'email' AND NOT granted
                   AND source = 'unsubscribe_link' AND detail LIKE 'one_click%' AND purpose IN ('marketing', 'order_updates')
                """) == 2)
            let again = try await Self.page(url, post: "List-Unsubscribe=One-Click")
            #expect(again.status == 410 && again.html.contains("Це посилання вже використано"))
            #expect(try await Self.page(url).status == 410)
            #expect(try await f.int("SELECT count(*) FROM consent_events") == 2)

            let (expiring, _) = try await Self.link(f, locale: "pl", action: "unsubscribe", channel: "email", purposes: ["surveys"], key: "l2")
            try await f.connection.execute("UPDATE customer_links SET expires_at = now() - interval '1 second' WHERE used_at IS NULL")
            let expired = try await Self.page(expiring)
            #expect(expired.status == 410 && expired.html.contains("Ten link wygasł"))
            #expect(try await Self.page(expiring, post: "").status == 410)
            #expect(try await f.int("SELECT count(*) FROM consent_events") == 2)
        }
    }

    @Test("the SMS opt-in page in Arabic reads right to left and its button records consent; unknown, malformed and mismatched tokens are no link")
    func optIn() async throws {
        try await ServerFixture.with("optin") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = \(f.base)")
            let (url, customer) = try await Self.link(f, locale: "ar", action: "sms_opt_in", channel: "sms", purposes: ["order_updates"], key: "o1")
            #expect(url.hasPrefix(f.base + "/opt-in/"))
            let shown = try await Self.page(url)
            #expect(shown.status == 200 && shown.html.contains(#"<html lang="ar" dir="rtl">"#) && shown.html.contains("نعم، أرسلوها"))
            let done = try await Self.page(url, post: "")
            #expect(done.status == 200 && done.html.contains("ستتلقى هذه الرسائل"))
            #expect(try await f.int("""
                SELECT count(*) FROM consent_events WHERE customer_id = \(customer) AND channel = 'sms' AND granted AND source = 'opt_in_link'
                   AND detail LIKE 'page%'
                """) == 1)

            let token = String(url.split(separator: "/").last ?? "")
            // The opt-in token under the unsubscribe address is no link: a link does only what it was made for.
            let mismatched = try await Self.page(f.base + "/u/" + token)
            #expect(mismatched.status == 404 && mismatched.html.contains("This link is not valid"))
            let unknown = try await Self.page(f.base + "/u/" + String(repeating: "ab", count: 32))
            #expect(unknown.status == 404 && unknown.html.contains(#"lang="en""#))
            #expect(try await Self.page(f.base + "/opt-in/not-a-token", post: "").status == 404)
            #expect(try await f.int("SELECT count(*) FROM consent_events") == 1)
        }
    }
}
