import Foundation
import Ingest
import Postgres
import Testing
import TestSupport

/// Ingest's SQL steps (sql/definitions/ingest_steps.sql and the lookups in ingest.sql), each
/// called on its own.
@Suite("Ingest steps")
struct IngestStepsTests {
    @Test("a text rule applies by store, language and pattern; a rule for another language or store never runs its pattern")
    func ruleMatches() async throws {
        try await IngestFixture.with("rule_matches") { fixture in
            // (rule store, rule language, pattern, message store, message language, text) → applies
            let cases: [(Int64?, String, String, Int64, String, String, Bool)] = [
                (nil, "*", "refund", 1, "en", "i want a refund", true),
                (nil, "*", "refund", 1, "en", "where is my parcel", false),
                (nil, "en", "refund", 1, "en", "i want a refund", true),
                (nil, "uk", "refund", 1, "en", "i want a refund", false),
                (nil, "uk", "refund", 1, "unknown", "i want a refund", true),
                (2, "*", "refund", 1, "en", "i want a refund", false),
                (1, "*", "refund", 1, "en", "i want a refund", true),
                // Case-insensitive, and a broken pattern is not evaluated for another language.
                (nil, "*", "REFUND", 1, "en", "refund please", true),
                (nil, "uk", "(", 1, "en", "refund please", false),
            ]
            for (ruleStore, ruleLanguage, pattern, store, language, text, expected) in cases {
                let applies = try await fixture.connection.query("""
                    SELECT ingest_rule_matches(\(ruleStore), \(ruleLanguage), \(pattern), \(store), \(language), \(text))
                    """).scalar(Bool.self)
                #expect(applies == expected, "\(ruleStore as Any) \(ruleLanguage) \(pattern) on \(store) \(language) \(text)")
            }
        }
    }

    @Test("a message finds its conversation by reply headers, subject token, the live one or a recently resolved one, never a closed one")
    func findConversation() async throws {
        try await IngestFixture.with("find_conversation") { fixture in
            let first = try await fixture.receiveEmail("""
                From: emma@example.com
                Subject: Kettle
                Message-ID: <k1@example.com>
                Content-Type: text/plain

                The kettle leaks.
                """).placed
            let customer = first.customerID
            func find(_ message: [String: Any], replied: Int64? = nil) async throws -> (Int64?, String?, String?) {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: message), as: UTF8.self)
                let row = try #require(try await fixture.connection.query("""
                    SELECT o_conversation_id, o_status, o_how FROM ingest_find_conversation(1, \(customer), \(replied), \(json)::jsonb)
                    """).first)
                return (try row.decode(Int64?.self, at: 0), try row.decode(String?.self, at: 1), try row.decode(String?.self, at: 2))
            }
            let replied = try await fixture.connection.query("""
                SELECT ingest_replied_conversation(1, '{"in_reply_to": "k1@example.com", "references": ["nope@example.com"]}')
                """).first?.decode(Int64?.self, at: 0)
            #expect(replied == first.conversationID)
            #expect(try await find(["channel": "chat"], replied: first.conversationID) == (first.conversationID, "open", "references"))
            #expect(try await find(["channel": "chat", "subject": "Re: [#\(first.conversationID)] Kettle"]) == (first.conversationID, "open", "subject_token"))
            #expect(try await find(["channel": "email"]) == (first.conversationID, "open", "open_conversation"))
            #expect(try await find(["channel": "sms"]) == (nil, nil, nil))

            try await fixture.connection.execute("UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = \(first.conversationID)")
            #expect(try await find(["channel": "email"]) == (first.conversationID, "resolved", "recently_resolved"))
            try await fixture.connection.execute("UPDATE conversations SET status = 'closed', closed_at = now() WHERE id = \(first.conversationID)")
            #expect(try await find(["channel": "email"], replied: first.conversationID) == (nil, nil, nil))
            #expect(try await find(["channel": "email"]) == (nil, nil, nil))
        }
    }

    @Test("an order named in a message is linked and audited when it changes, whether the batch placed the message with others or on its own")
    func orderLinkedAudit() async throws {
        try await IngestFixture.with("order_linked") { fixture in
            let customer: [String: Any] = ["phone": "+380671234567", "email": "olena@example.com"]
            _ = try await fixture.orderEvent("1001", "shipped", ["customer": customer, "total": "100"])
            _ = try await fixture.orderEvent("1002", "created", ["customer": customer, "total": "100"])
            func orderLinks() async throws -> [String] {
                try await fixture.connection.query("""
                    SELECT a.conversation_id || ':' || (a.detail->>'order_number') FROM audit_events a
                     WHERE a.kind = 'order_linked' ORDER BY a.id
                    """).map { try $0.decode(String.self, at: 0) }
            }
            // A subject token sends a message through ingest_message on its own (this one names
            // no conversation of hers, so she gets a new one).
            let email = try await fixture.receiveEmail("""
                From: olena@example.com
                Subject: [#999999] order 1002
                Content-Type: text/plain

                Can I still change order 1002?
                """).placed
            #expect(try await orderLinks() == ["\(email.conversationID):1002"])
            // A known customer writing without threading headers: placed with the batch's rows.
            let sms = try await fixture.receive("sms", json: ["from": "+380671234567", "text": "Order 1001 has not arrived"]).placed
            #expect(sms.conversationID != email.conversationID)
            #expect(try await orderLinks() == ["\(email.conversationID):1002", "\(sms.conversationID):1001"])
            // The same order again links nothing new; another order in the same conversation does.
            _ = try await fixture.receive("sms", json: ["from": "+380671234567", "text": "1001?"])
            _ = try await fixture.receiveEmail("""
                From: olena@example.com
                Subject: Re: [#\(email.conversationID)] my order
                Content-Type: text/plain

                Sorry, I meant 1001.
                """)
            let links = try await orderLinks()
            #expect(links == ["\(email.conversationID):1002", "\(sms.conversationID):1001", "\(email.conversationID):1001"])
        }
    }
}
