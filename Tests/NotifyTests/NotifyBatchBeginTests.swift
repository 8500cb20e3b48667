import Foundation
import Notify
import Postgres
import Testing
import TestSupport

@Suite("notify_begin for a batch agrees with notify_begin row by row")
struct NotifyBatchBeginTests {
    @Test("rows on the common path are begun together exactly as one by one — same rows returned, same records — and the rest go one by one")
    func commonPathAgrees() async throws {
        try await HTTPFixture.with("notify_batch_begin") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            // A reply in an email conversation: threading, the signed Reply-To, a Message-ID made from the key.
            let question = try await f.base.receiveEmail("""
                From: Olena Koval <olena@example.com>
                To: help@shop.example
                Subject: Where is my kettle?
                Message-ID: <kettle-1@example.com>
                Content-Type: text/plain; charset=utf-8

                It has not come yet.
                """)
            let customer = try await f.connection.query("SELECT customer_id FROM conversations WHERE id = \(question.conversationID)").scalar(Int64.self)
            let reply = try await f.base.outbox(kind: "reply", purpose: "reply", channel: "email", conversationID: question.conversationID,
                                                customerID: customer, locale: "en", subject: "Re: Where is my kettle?",
                                                body: "It left the warehouse today.", key: "batch-begin:reply")
            // An order notice by email to a customer with a phone: a template, its variables, an
            // unsubscribe link and the offer of SMS news.
            let buyer: [String: Any] = ["customer": ["email": "olena@example.com", "phone": "+380501234567", "name": "Olena Koval"]]
            let order = try await f.orderEvent("5001", "created", payload: buyer)
            try await f.orderEvent("5001", "shipped", payload: buyer)
            let notice = try await f.connection.query("SELECT id FROM outbox WHERE order_id = \(order) AND template_kind = 'order_shipped'").scalar(Int64.self)
            let sms = try await f.sms("Your order is on its way", key: "batch-begin:sms")
            // Off the common path: not due, refused by consent, on a social channel.
            let later = try await f.sms("Tomorrow", key: "batch-begin:later")
            try await f.connection.execute("UPDATE outbox SET send_after = now() + interval '1 hour' WHERE id = \(later)")
            let stranger = try await f.base.customer("nobody@example.com")
            let refused = try await f.base.outbox(kind: "order_update", purpose: "marketing", channel: "email", customerID: stranger,
                                                  locale: "en", subject: "Sale", body: "Half price", key: "batch-begin:refused")
            let social = try await f.base.outbox(kind: "order_update", purpose: "order_updates", channel: "social", customerID: customer,
                                                 locale: "en", subject: nil, body: "Shipped", key: "batch-begin:social")
            let ids = [reply, notice, sms, later, refused, social]

            let common = try await f.connection.query("SELECT outbox_id FROM notify_common_path(\(ids)::int8[]) ORDER BY outbox_id")
                .map { try $0.decode(Int64.self, at: 0) }
            #expect(common == [reply, notice, sms].sorted())

            let oneByOne = try await Self.begun(f.connection, ids, together: false)
            let together = try await Self.begun(f.connection, ids, together: true)
            #expect(together.rows == oneByOne.rows)
            #expect(together.records == oneByOne.records)
            // Not vacuous: the common rows were begun, with links and a template.
            #expect(oneByOne.rows.count == ids.count)
            #expect(oneByOne.records.contains("\"status\": \"sending\""))
            #expect(oneByOne.rows.contains { $0.contains("/u/<token>") && $0.contains("/opt-in/<token>") && $0.contains("order_shipped") }, "\(oneByOne.rows)")
            #expect(oneByOne.rows.contains { $0.contains("kettle-1@example.com") && $0.contains("help+c\(question.conversationID).") })
        }
    }

    /// What beginning `ids` returns and records — together (`notify_begin(bigint[])`) or one by
    /// one — in a transaction rolled back afterwards. Link tokens (random) read `<token>`; times
    /// of the moment are left out.
    static func begun(_ connection: PostgresConnection, _ ids: [Int64], together: Bool) async throws -> (rows: [String], records: String) {
        try await connection.execute("BEGIN")
        do {
            let begun: PostgresQuery = together
                ? """
                  SELECT regexp_replace(to_jsonb(b)::text, '[0-9a-f]{64}', '<token>', 'g')
                    FROM notify_begin(\(ids)::int8[]) b ORDER BY b.outbox_id
                  """
                : """
                  SELECT regexp_replace(to_jsonb(b)::text, '[0-9a-f]{64}', '<token>', 'g')
                    FROM unnest(\(ids)::int8[]) u(id) CROSS JOIN LATERAL notify_begin(u.id) b ORDER BY b.outbox_id
                  """
            let rows = try await connection.query(begun).map { try $0.decode(String.self, at: 0) }
            let records = try await connection.query("""
                SELECT jsonb_build_object(
                    'outbox', (SELECT jsonb_agg(jsonb_build_object('id', o.id, 'status', o.status, 'attempts', o.attempts,
                                                                   'provider', o.provider_id, 'message_id', o.email_message_id,
                                                                   'sending', o.sending_at IS NOT NULL, 'error', o.last_error,
                                                                   'send_after', o.send_after) ORDER BY o.id)
                                 FROM outbox o WHERE o.id = ANY (\(ids)::int8[])),
                    'events', (SELECT jsonb_agg(jsonb_build_object('outbox', e.outbox_id, 'event', e.event, 'provider', e.provider_id,
                                                                   'attempt', e.attempt, 'detail', e.detail) ORDER BY e.outbox_id, e.id)
                                 FROM notify_events e WHERE e.outbox_id = ANY (\(ids)::int8[])),
                    'links', (SELECT jsonb_agg(jsonb_build_object('outbox', l.outbox_id, 'action', l.action, 'channel', l.channel,
                                                                  'purposes', l.purposes) ORDER BY l.outbox_id, l.action)
                                FROM customer_links l WHERE l.outbox_id = ANY (\(ids)::int8[])),
                    'messages', (SELECT jsonb_agg(jsonb_build_object('id', m.id, 'message_id', m.email_message_id) ORDER BY m.id) FROM messages m)
                )::text
                """).scalar(String.self)
            try await connection.execute("ROLLBACK")
            return (rows, records)
        } catch {
            _ = try? await connection.execute("ROLLBACK")
            throw error
        }
    }
}
