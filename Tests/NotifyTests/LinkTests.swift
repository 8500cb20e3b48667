import EmailParsing
import Foundation
import Ingest
import Notify
import Postgres
import Testing
import TestSupport

extension NotifyFixture {
    /// Applies an order event as the ingest worker would; returns the order's id.
    @discardableResult
    func orderEvent(_ number: String, _ kind: String, occurredAt: String = "now", payload: [String: Any] = [:]) async throws -> Int64 {
        let json = try JSONSerialization.data(withJSONObject: payload)
        let id = try await connection.query("""
            INSERT INTO order_events (order_number, kind, payload, occurred_at)
            VALUES (\(number), \(kind), convert_from(\(json), 'UTF8')::jsonb, \(occurredAt)::timestamptz) RETURNING id
            """).scalar(Int64.self)
        guard case .applied(let order) = try await connection.run({ connection in try await OrderEventApplier().apply(id, on: connection) }) else {
            throw SMTPPeerError(description: "order event \(id) was not applied")
        }
        return order
    }

    /// An order event for the customer `customer` (a JSON object).
    func orderEvent(_ number: String, _ kind: String, customer: [String: Any]) async throws -> Int64 {
        try await orderEvent(number, kind, payload: ["customer": customer])
    }

    func notice(_ order: Int64, _ template: String) async throws -> Int64 {
        try await connection.query("SELECT id FROM outbox WHERE order_id = \(order) AND template_kind = \(template)").scalar(Int64.self)
    }

    /// The mail the peer received last, raw.
    func lastMail() throws -> Data { try #require(try peer.received().last?.raw) }
}

@Suite("Customer links: one-click unsubscribe, SMS opt-in, the signed Reply-To")
struct LinkTests {
    static var olena: [String: Any] { ["email": "olena@example.com", "phone": "+380501234567", "name": "Olena Koval"] }

    @Test("order news carries List-Unsubscribe with one click (RFC 8058) and an SMS offer; the links change consent once; a confirmation carries none")
    func unsubscribeAndOptIn() async throws {
        try await NotifyFixture.with("links") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            try await f.connection.execute("UPDATE stores SET quiet_hours_start = NULL, quiet_hours_end = NULL")
            let order = try await f.orderEvent("1001", "created", customer: Self.olena)
            #expect(try await f.notifier.send(try await f.notice(order, "order_confirmation"), pool: f.pool) == .sent)
            let confirmation = try f.lastMail()
            #expect(SMTPPeer.header("List-Unsubscribe", of: confirmation) == nil, "transactional mail has no unsubscribe")

            _ = try await f.orderEvent("1001", "shipped", customer: Self.olena)
            #expect(try await f.notifier.send(try await f.notice(order, "order_shipped"), pool: f.pool) == .sent)
            let shipped = try f.lastMail()
            let header = try #require(SMTPPeer.header("List-Unsubscribe", of: shipped))
            #expect(SMTPPeer.header("List-Unsubscribe-Post", of: shipped) == "List-Unsubscribe=One-Click")
            let unsubscribe = try #require(header.firstMatch(of: /^<https:\/\/help\.shop\.example\/u\/([0-9a-f]{64})>$/)?.1, "\(header)").description
            let text = try #require(try ParsedEmail.parse(shipped).text)
            let optIn = try #require(text.firstMatch(of: /https:\/\/help\.shop\.example\/opt-in\/([0-9a-f]{64})/)?.1).description
            // Only the tokens' hashes are kept.
            #expect(try await f.connection.query("""
                SELECT count(*) FROM customer_links WHERE token_hash IN (sha256(convert_to(\(unsubscribe), 'UTF8')), sha256(convert_to(\(optIn), 'UTF8')))
                """).scalar(Int.self) == 2)
            #expect(try await f.connection.query("SELECT count(*) FROM customer_links WHERE position(\(unsubscribe) IN encode(token_hash, 'hex')) > 0")
                .scalar(Int.self) == 0)

            let shown = try #require(try await f.connection.query("SELECT action, expired FROM customer_link_show(\(unsubscribe))").first)
            #expect(try shown.decode(String.self, at: 0) == "unsubscribe" && shown.decode(Bool.self, at: 1) == false)
            #expect(try await f.connection.query("SELECT changed FROM customer_link_use(\(unsubscribe), 'one_click')").scalar(Int.self) == 1)
            do {
                _ = try await f.connection.query("SELECT * FROM customer_link_use(\(unsubscribe))")
                Issue.record("a used link should be refused")
            } catch let error as PostgresError {
                #expect(error.message.hasPrefix("this link was used already"))
            }
            // SMS news was opted into (allowed by default already, now said outright).
            #expect(try await f.connection.query("SELECT changed FROM customer_link_use(\(optIn))").scalar(Int.self) == 0)
            let customer = try await f.connection.query("SELECT customer_id FROM orders WHERE id = \(order)").scalar(Int64.self)
            #expect(try await f.connection.query("SELECT source FROM consent_of(\(customer), 'sms', 'order_updates')").scalar(String.self) == "opt_in_link")
            // The next order news goes by SMS, the channel she allows; by email it is refused, saying by what.
            _ = try await f.orderEvent("1001", "delivered", customer: Self.olena)
            #expect(try await f.connection.query("SELECT channel FROM outbox WHERE id = \(try await f.notice(order, "order_delivered"))")
                .scalar(String.self) == "sms")
            let byEmail = try await f.outbox(kind: "order_update", purpose: "order_updates", customerID: customer, locale: "en",
                                             subject: "Your order", body: "Delivered.", key: "links:email-news")
            guard case .suppressed(let reason) = try await f.notifier.send(byEmail, pool: f.pool) else {
                Issue.record("order news by email after unsubscribing should be suppressed")
                return
            }
            #expect(reason.hasPrefix("no consent for order updates by email: the customer refused it by unsubscribe link (one_click (outbox "))
            #expect(try await f.connection.query("SELECT count(*) FROM customer_link_show('0123')").scalar(Int.self) == 0)
        }
    }

    @Test("an answer sent to the conversation's signed Reply-To threads without any header; a forged signature or another sender does not")
    func replyToken() async throws {
        try await NotifyFixture.with("reply_token") { f in
            let question = try await f.receiveEmail("""
                From: Olena <olena@example.com>
                To: help@shop.example
                Subject: Kettle leaks
                Message-ID: <q1@example.com>

                The kettle leaks.
                """)
            try await f.connection.simpleQuery(unsafeSQL: """
                WITH a AS (INSERT INTO agents (name, email, status) VALUES ('Oksana', 'oksana@shop.example', 'online') RETURNING id)
                INSERT INTO agent_capacity (agent_id, channel, max_open) SELECT id, 'email', 5 FROM a;
                UPDATE conversations SET agent_id = (SELECT id FROM agents) WHERE id = \(question.conversationID);
                SELECT reply_to_conversation(\(question.conversationID), (SELECT id FROM agents), 'A new kettle is on its way.');
                """)
            #expect(try await f.notifier.send(try await f.connection.query("SELECT id FROM outbox").scalar(Int64.self), pool: f.pool) == .sent)
            let replyTo = try #require(SMTPPeer.header("Reply-To", of: try f.lastMail()))
            let address = try #require(replyTo.firstMatch(of: /help\+c[0-9]+\.[0-9a-f]{10}@shop\.example/)).output.description
            #expect(address.hasPrefix("help+c\(question.conversationID)."))
            #expect(SMTPPeer.header("List-Unsubscribe", of: try f.lastMail()) == nil, "a reply has no unsubscribe")
            // Long resolved: only the token can find it now.
            try await f.connection.execute("""
                UPDATE conversations SET status = 'resolved', resolved_at = now() - interval '60 days', last_message_at = now() - interval '60 days'
                 WHERE id = \(question.conversationID)
                """)
            func answer(from: String, to: String, id: String) async throws -> ConversationOutcome {
                try await f.receiveEmail("""
                    From: \(from)
                    To: \(to)
                    Subject: thanks
                    Message-ID: <\(id)@example.com>

                    It arrived, thank you!
                    """)
            }
            // A made-up signature, or someone else writing to the address, does not get in.
            let forged = address.replacing(#/\.[0-9a-f]{10}@/#, with: ".0000000000@")
            #expect(try await answer(from: "olena@example.com", to: forged, id: "a2").conversationID != question.conversationID)
            #expect(try await answer(from: "someone@example.com", to: address, id: "a3").conversationID != question.conversationID)
            try await f.connection.execute("UPDATE conversations SET status = 'closed' WHERE id <> \(question.conversationID)")
            let threaded = try await answer(from: "olena@example.com", to: address, id: "a1")
            #expect(threaded.conversationID == question.conversationID && threaded.placement == .reopened)
            #expect(try await f.connection.query("""
                SELECT count(*) FROM audit_events WHERE kind = 'conversation_reopened' AND conversation_id = \(question.conversationID)
                """).scalar(Int.self) <= 1)
        }
    }

    @Test("a hard bounce suppresses the address it names: the next mail to it is held back, saying who reported what")
    func bounceSuppresses() async throws {
        try await NotifyFixture.with("bounce") { f in
            let bounce = """
                From: MAILER-DAEMON@mx.example.com\r\nTo: help@shop.example\r\nSubject: Undelivered Mail Returned to Sender\r\n\
                Message-ID: <bounce-1@mx.example.com>\r\nMIME-Version: 1.0\r\n\
                Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n\
                --r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\
                --r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
                Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
                --r--\r\n
                """
            let id = try await f.connection.query("INSERT INTO inbound_messages (channel, payload) VALUES ('email', \(Data(bounce.utf8))) RETURNING id")
                .scalar(Int64.self)
            guard case .automated = try await f.connection.run({ connection in try await InboundIngestor().ingest(id, on: connection) }) else {
                Issue.record("a bounce is automatic mail")
                return
            }
            let next = try await f.outbox(kind: "order_update", purpose: "order_updates", customerID: try await f.customer("gone@example.org"),
                                          locale: "en", subject: "Your order", body: "Shipped.", key: "bounce:next")
            guard case .suppressed(let reason) = try await f.notifier.send(next, pool: f.pool) else {
                Issue.record("mail to a hard-bounced address should be suppressed")
                return
            }
            #expect(reason.hasPrefix("gone@example.org is suppressed on email since ")
                    && reason.hasSuffix(": hard bounce reported by mailer-daemon@mx.example.com: status 5.1.1"), "\(reason)")
        }
    }

    @Test("an operator retries a failed row (a fresh deadline, a new job, the checks again) and cancels a pending one; other states are left alone, saying so")
    func retryAndCancel() async throws {
        try await NotifyFixture.with("operator_actions") { f in
            let refused = try await f.outbox(customerID: try await f.customer("refuse@example.com"), locale: "en", subject: "Hi", body: "Hi",
                                             key: "ops:refused")
            guard case .failed = try await f.notifier.send(refused, pool: f.pool) else {
                Issue.record("a 550 should fail")
                return
            }
            let emma = try await f.customer("emma@example.com")
            let waiting = try await f.outbox(customerID: emma, locale: "en", subject: "Later", body: "Later", key: "ops:waiting")
            let retried = try await f.connection.run { try NotifyAdmin.retry([refused, waiting, 999_999], reason: "mailbox fixed", on: $0) }
            #expect(retried.done == [refused] && retried.skipped.map(\.status) == ["pending"] && retried.missing == [999_999])
            #expect(try await f.status(refused).status == "pending")
            #expect(try await f.events(refused).suffix(1) == ["requeued"])
            #expect(try await f.connection.query("""
                SELECT count(*) FROM jobs WHERE kind = 'notify' AND (args->>'outbox_id')::bigint = \(refused) AND state = 'available'
                """).scalar(Int.self) == 1)
            // The address was suppressed by the 550: the check runs again and holds it back.
            guard case .suppressed = try await f.notifier.send(refused, pool: f.pool) else {
                Issue.record("the retried row's checks should run again")
                return
            }
            let cancelled = try await f.connection.run { try NotifyAdmin.cancel([waiting, refused], reason: "sent by hand", on: $0) }
            #expect(cancelled.done == [waiting] && cancelled.skipped.map(\.status) == ["suppressed"])
            #expect(try await f.notifier.send(waiting, pool: f.pool) == .alreadyDone)
            #expect(try await f.status(waiting) == ("cancelled", 0, "sent by hand"))
        }
    }
}
