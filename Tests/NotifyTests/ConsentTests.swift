import Foundation
import Ingest
import Notify
import Postgres
import Testing
import TestSupport

extension HTTPFixture {
    /// Ingests an inbound SMS from `from` as the ingest worker would.
    func receiveSMS(_ text: String, from: String = "+380501234567") async throws -> IngestOutcome {
        let payload = try JSONSerialization.data(withJSONObject: ["from": from, "to": "+380441234567", "text": text])
        let id = try await connection.query("""
            INSERT INTO inbound_messages (channel, external_id, payload) VALUES ('sms', \("SM" + UUID().uuidString), \(payload)) RETURNING id
            """).scalar(Int64.self)
        return try await connection.run { connection in try await InboundIngestor().ingest(id, on: connection) }
    }

    /// An outbox row for the fixture's customer with `purpose`.
    func notice(purpose: String, key: String, conversation: Int64? = nil) async throws -> Int64 {
        try await base.outbox(kind: "order_update", purpose: purpose, channel: "sms", conversationID: conversation, customerID: customer,
                              locale: "uk", subject: nil, body: "Ваше замовлення в дорозі", key: key)
    }
}

@Suite("Consent: the ledger, STOP and START, and what the worker holds back")
struct ConsentTests {
    @Test("СТОП by SMS is consent, not a conversation: confirmed once in Ukrainian, order news suppressed with the reason, replies still go; START undoes it")
    func stopThenStart() async throws {
        try await HTTPFixture.with("consent_stop") { f in
            guard case .consent(let customer) = try await f.receiveSMS(" СТОП! ") else {
                Issue.record("СТОП should be a consent keyword")
                return
            }
            #expect(customer == f.customer)
            #expect(try await f.connection.query("SELECT count(*) FROM conversations").scalar(Int.self) == 0)
            #expect(try await f.connection.query("SELECT status FROM inbound_messages").scalar(String.self) == "consent")
            #expect(try await f.connection.query("""
                SELECT string_agg(purpose || '=' || granted, ',' ORDER BY purpose) FROM consent_events WHERE channel = 'sms' AND source = 'keyword'
                """).scalar(String.self) == "marketing=false,order_updates=false,surveys=false,transactional=false")
            // Confirmed once, in the keyword's language, to the number that wrote, and sent.
            let confirmation = try await f.connection.query("SELECT id FROM outbox WHERE kind = 'consent_confirmation'").scalar(Int64.self)
            #expect(try await f.send(confirmation) == .sent)
            let sent = try #require(try f.peer.effects().last?.fields)
            #expect(sent["to"] as? String == "+380501234567")
            #expect((sent["text"] as? String)?.contains("ви більше не отримуватимете тут повідомлень") == true)
            _ = try await f.receiveSMS("стоп")
            #expect(try await f.connection.query("SELECT count(*) FROM outbox WHERE kind = 'consent_confirmation'").scalar(Int.self) == 1,
                    "a second STOP changes nothing and is not confirmed again")

            // Order news is held back, and says by what.
            let news = try await f.notice(purpose: "order_updates", key: "consent:news:1")
            guard case .suppressed(let reason) = try await f.send(news) else {
                Issue.record("order news after СТОП should be suppressed")
                return
            }
            #expect(reason.hasPrefix("no consent for order updates by sms: the customer refused it by keyword (стоп) at "), "\(reason)")
            #expect(try await f.base.status(news) == ("suppressed", 0, reason))
            #expect(try await f.base.events(news) == ["suppressed"])

            // A reply to their own question on the channel they wrote from still goes.
            guard case .conversation(let asked) = try await f.receiveSMS("Де моє замовлення?") else {
                Issue.record("a question should open a conversation")
                return
            }
            let reply = try await f.connection.query("""
                INSERT INTO outbox (store_id, customer_id, conversation_id, kind, purpose, channel, locale, body_text, idempotency_key)
                VALUES (1, \(f.customer), \(asked.conversationID), 'reply', 'reply', 'sms', 'uk', 'Вже в дорозі', 'consent:reply') RETURNING id
                """).scalar(Int64.self)
            #expect(try await f.send(reply) == .sent)

            // START brings back what the keyword stopped, and is confirmed (in English: START is English).
            guard case .consent = try await f.receiveSMS("Start") else {
                Issue.record("START should be a consent keyword")
                return
            }
            let back = try await f.connection.query("""
                SELECT body_text FROM outbox WHERE kind = 'consent_confirmation' ORDER BY id DESC LIMIT 1
                """).scalar(String.self)
            #expect(back.contains("you will get our messages here again"))
            #expect(try await f.send(try await f.notice(purpose: "order_updates", key: "consent:news:2")) == .sent)
        }
    }

    @Test("the keywords of the six languages are recognised alone, and only alone",
          arguments: [("STOP", true), ("stop.", true), ("Unsubscribe", true), ("Відписатися", true), ("ОТПИСАТЬСЯ", true),
                      ("Rezygnuję", true), ("إلغاء", true), ("退订", true), ("STOPALL", true),
                      ("Stop sending me these please", false), ("cancel my order 1001", false), ("СТОП, а де моє замовлення?", false)])
    func keywords(text: String, isKeyword: Bool) async throws {
        try await HTTPFixture.with("consent_keywords") { f in
            let outcome = try await f.receiveSMS(text)
            if case .consent = outcome { #expect(isKeyword, "\(text) is not a keyword") } else {
                #expect(!isKeyword, "\(text) should be a keyword, was \(outcome)")
            }
        }
    }

    @Test("marketing needs an opt-in: refused by default with the reason, sent once the customer opted in")
    func marketingOptIn() async throws {
        try await HTTPFixture.with("consent_marketing") { f in
            let offer = try await f.notice(purpose: "marketing", key: "consent:offer:1")
            guard case .suppressed(let reason) = try await f.send(offer) else {
                Issue.record("marketing without an opt-in should be suppressed")
                return
            }
            #expect(reason == "no consent for marketing by sms: the customer never gave it, and marketing needs it (consent_defaults)")
            #expect(try await f.connection.query("""
                SELECT record_consent(\(f.customer), 'sms', '{marketing}', true, 'checkout', 'ticked the SMS offers box')
                """).scalar(Int.self) == 1)
            #expect(try await f.send(try await f.notice(purpose: "marketing", key: "consent:offer:2")) == .sent)
        }
    }

    @Test("the ledger is append-only: an update or delete is refused with a hint, a merge moves it")
    func appendOnly() async throws {
        try await HTTPFixture.with("consent_ledger") { f in
            _ = try await f.connection.query("SELECT record_consent(\(f.customer), 'sms', '{surveys}', false, 'admin')")
            for statement in ["UPDATE consent_events SET granted = true", "DELETE FROM consent_events"] {
                do {
                    try await f.connection.execute(PostgresQuery(unsafeSQL: statement))
                    Issue.record("\(statement) should be refused")
                } catch let error as PostgresError {
                    #expect(error.message.contains("consent_events is append-only"), "\(error)")
                }
            }
            let other = try await f.connection.query("INSERT INTO customers (store_id) VALUES (1) RETURNING id").scalar(Int64.self)
            try await f.connection.execute("SELECT merge_customers(\(f.customer), \(other), '{}')")
            #expect(try await f.connection.query("SELECT customer_id FROM consent_events").scalar(Int64.self) == other)
        }
    }
}
