import Foundation
import Helpdesk
import Ingest
import Postgres
import Testing
import TestSupport

/// Realistic messages, one per language and channel, with what ingest should make of them.
struct Sample: Sendable, CustomStringConvertible {
    let channel: String
    let payload: [String: String]
    let language: String
    let category: String
    var description: String { "\(channel)/\(language)" }
}

let corpus: [Sample] = [
    Sample(channel: "sms", payload: ["from": "+380671112233", "text": "Добрий день! Хочу повернути куртку, розмір не підійшов. Як оформити обмін?"],
           language: "uk", category: "returns"),
    Sample(channel: "chat", payload: ["session_id": "s-ru-1", "text": "Здравствуйте, у меня не работает приложение, при входе пишет ошибку. Что делать?"],
           language: "ru", category: "technical"),
    Sample(channel: "webform", payload: ["email": "kasia@example.pl", "name": "Kasia", "text": "Dzień dobry, z mojej karty zostały pobrane pieniądze dwa razy za jedną płatność. Proszę o wyjaśnienie."],
           language: "pl", category: "payment"),
    Sample(channel: "social", payload: ["platform": "instagram", "sender_id": "ig-5501", "sender_name": "Layla", "text": "مرحبا، هل هذا الفستان متوفر بمقاس أكبر ولون أسود؟ أريد أن أعرف قبل الشراء"],
           language: "ar", category: "product"),
    Sample(channel: "social", payload: ["platform": "wechat", "sender_id": "wx-778", "text": "你好，我想买一台咖啡机，请推荐一款适合家用的，两款的区别是什么？"],
           language: "zh", category: "consultation"),
    Sample(channel: "phone", payload: ["caller": "+14155550123", "agent": "olga@shop.example", "duration_seconds": "240",
                                       "transcript": "The customer wants to change her order before it ships: she would like to cancel my order line for the blue mug and add a teapot instead."],
           language: "en", category: "ordering"),
    Sample(channel: "sms", payload: ["from": "+48601234567", "text": "Kurier nie przyszedł, przesyłka miała być wczoraj. Kiedy będzie dostawa?"],
           language: "pl", category: "delivery"),
]

@Suite("Ingest")
struct IngestTests {
    @Test("a corpus in six languages across every channel becomes conversations", arguments: corpus)
    func corpusSample(_ sample: Sample) async throws {
        try await IngestFixture.with("corpus") { fixture in
            var payload: [String: Any] = sample.payload
            if let seconds = sample.payload["duration_seconds"] { payload["duration_seconds"] = Int(seconds) }
            let placed = try await fixture.receive(sample.channel, json: payload, externalID: "x-1").placed
            #expect(placed.placement == .new)
            let conversation = try await fixture.conversation(placed.conversationID)
            #expect(conversation.channel == sample.channel)
            #expect(conversation.language == sample.language)
            #expect(conversation.category == sample.category)
            #expect(conversation.status == "open")
            #expect(try await fixture.routeJobs(placed.conversationID) == 1)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'processed'") == 1)
        }
    }

    @Test("the email corpus: charsets and MIME structures become messages; auto-replies and bounces do not")
    func emailCorpus() async throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appending(path: "../EmailParsingTests/Corpus").standardizedFileURL
        let expected: [String: String] = [
            "alternative_qp_base64.eml": "uk", "windows1251_8bit.eml": "ru", "koi8r_qp.eml": "ru",
            "iso8859_2_qp.eml": "pl", "gb2312_base64.eml": "zh", "big5_base64.eml": "zh", "shift_jis_base64.eml": "ja",
        ]
        try await IngestFixture.with("emails") { fixture in
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).filter({ $0.hasSuffix(".eml") }).sorted() {
                let data = try Data(contentsOf: folder.appending(path: file))
                let outcome = try await fixture.ingest(try await fixture.insert("email", data))
                switch file {
                case "auto_reply.eml", "bounce_dsn.eml":
                    #expect(outcome == .automated(conversationID: nil), "\(file)")
                default:
                    let placed = try outcome.placed
                    if let language = expected[file] {
                        let detected = try await fixture.text("SELECT language FROM messages WHERE id = \(placed.messageID)")
                        #expect(detected == language, "\(file): \(detected)")
                    }
                }
            }
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'received'") == 0)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'automated'") == 2)
            // Both Russian mails come from different people; Chinese ones share a sender and thread.
            #expect(try await fixture.int("SELECT count(*) FROM messages WHERE attachments <> '[]'") >= 1)
        }
    }

    @Test("an email thread: replies by In-Reply-To, by References to the bot's answer, by subject token; other customers never")
    func emailThreading() async throws {
        try await IngestFixture.with("threads") { fixture in
            let first = try await fixture.receiveEmail("""
                From: Emma Stone <Emma@Example.com>
                To: support@shop.example
                Subject: Damaged kettle
                Message-ID: <m1@example.com>
                Content-Type: text/plain; charset=utf-8

                The kettle I received leaks from the bottom. Can you help?
                """).placed
            #expect(first.placement == .new)
            let reply = try await fixture.receiveEmail("""
                From: emma@example.com
                Subject: Re: Damaged kettle
                Message-ID: <m2@example.com>
                In-Reply-To: <m1@example.com>
                References: <m1@example.com>
                Content-Type: text/plain; charset=utf-8

                Here is a photo of the leak.

                On Mon, Emma wrote:
                > The kettle I received leaks from the bottom.
                """).placed
            #expect(reply.conversationID == first.conversationID && reply.placement == .threaded)
            #expect(try await fixture.text("SELECT body_text FROM messages WHERE id = \(reply.messageID)") == "Here is a photo of the leak.")

            // Resolved, then a reply by subject token alone (a new mail client thread) reopens it.
            try await fixture.connection.execute("UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = \(first.conversationID)")
            let token = try await fixture.receiveEmail("""
                From: emma@example.com
                Subject: Still leaking [#\(first.conversationID)]
                Message-ID: <m3@example.com>
                Content-Type: text/plain

                The replacement leaks too.
                """).placed
            #expect(token.conversationID == first.conversationID && token.placement == .reopened)
            let reopened = try await fixture.conversation(first.conversationID)
            #expect(reopened.reopenCount == 1 && reopened.status == "open" && reopened.messageCount == 3)
            #expect(try await fixture.int("SELECT count(*) FROM audit_events WHERE kind = 'conversation_reopened'") == 1)

            // Someone else quoting the token does not get into Emma's conversation.
            let stranger = try await fixture.receiveEmail("""
                From: mallory@example.net
                Subject: Re: [#\(first.conversationID)]
                Message-ID: <x1@example.net>
                Content-Type: text/plain

                What did she order?
                """).placed
            #expect(stranger.conversationID != first.conversationID && stranger.placement == .new)

            // Closed is final: a new mail starts a new conversation.
            try await fixture.connection.execute("UPDATE conversations SET status = 'closed', closed_at = now() WHERE id = \(first.conversationID)")
            let after = try await fixture.receiveEmail("""
                From: emma@example.com
                Subject: Another question
                Message-ID: <m4@example.com>
                In-Reply-To: <m3@example.com>
                Content-Type: text/plain

                Do you sell descaler?
                """).placed
            #expect(after.conversationID != first.conversationID && after.placement == .new)
            #expect(try await fixture.int("SELECT count(DISTINCT customer_id) FROM conversations") == 2)
        }
    }

    @Test("chat sessions, SMS windows and reopening recently resolved conversations")
    func channelWindows() async throws {
        try await IngestFixture.with("windows") { fixture in
            let sms = ["from": "+380501234567", "text": "Вітаю, питання щодо замовлення"]
            let a = try await fixture.receive("sms", json: sms).placed
            let b = try await fixture.receive("sms", json: sms.merging(["text": "Ще одне питання"]) { $1 }).placed
            #expect(a.conversationID == b.conversationID && b.placement == .threaded)
            // Past the SMS window (2 days by default) a new conversation starts.
            try await fixture.connection.execute("UPDATE conversations SET last_message_at = now() - interval '3 days'")
            let c = try await fixture.receive("sms", json: sms).placed
            #expect(c.conversationID != a.conversationID && c.placement == .new)
            // Resolved within the reopen window: reopened, and routed again even with an agent.
            try await fixture.connection.simpleQuery(unsafeSQL: """
                INSERT INTO agents (email, name) VALUES ('olga@shop.example', 'Olga');
                UPDATE conversations SET status = 'resolved', resolved_at = now() - interval '1 hour',
                       agent_id = (SELECT id FROM agents) WHERE id = \(c.conversationID);
                DELETE FROM jobs WHERE kind = 'route';
                """)
            let d = try await fixture.receive("sms", json: sms).placed
            #expect(d.conversationID == c.conversationID && d.placement == .reopened)
            #expect(try await fixture.routeJobs(c.conversationID) == 1)
            // A window of zero turns threading off for the channel.
            try await fixture.connection.execute("UPDATE channel_settings SET thread_window = '0', reopen_window = '0' WHERE channel = 'sms'")
            let e = try await fixture.receive("sms", json: sms).placed
            #expect(e.placement == .new)

            // Two chat sessions of one visitor are two conversations; messages of one session thread.
            let chat1 = try await fixture.receive("chat", json: ["session_id": "S1", "visitor": ["email": "v@example.com"], "text": "Hello there, is anyone around?"]).placed
            let chat1b = try await fixture.receive("chat", json: ["session_id": "S1", "text": "I have a question about sizes"]).placed
            let chat2 = try await fixture.receive("chat", json: ["session_id": "S2", "visitor": ["email": "v@example.com"], "text": "Hi again"]).placed
            #expect(chat1.conversationID == chat1b.conversationID)
            #expect(chat2.conversationID != chat1.conversationID)
            #expect(chat2.customerID == chat1.customerID)
        }
    }

    @Test("repeated deliveries: by external id, by Message-ID, and concurrently")
    func repeatedDeliveries() async throws {
        try await IngestFixture.with("dupes") { fixture in
            let sms = ["from": "+380671234567", "text": "Де моє замовлення?"]
            let first = try await fixture.receive("sms", json: sms, externalID: "SM-1").placed
            let again = try await fixture.receive("sms", json: sms, externalID: "SM-1")
            #expect(again == .duplicate(messageID: first.messageID, conversationID: first.conversationID))
            // The same id on another channel is another message.
            _ = try await fixture.receive("chat", json: ["session_id": "c1", "text": "hello"], externalID: "SM-1").placed

            let mail = """
                From: a@example.com
                Subject: Hello
                Message-ID: <same@example.com>
                Content-Type: text/plain

                Hello there
                """
            let mailFirst = try await fixture.receiveEmail(mail, externalID: "gw-1").placed
            #expect(try await fixture.receiveEmail(mail, externalID: "gw-2") == .duplicate(messageID: mailFirst.messageID, conversationID: mailFirst.conversationID))

            // Eight deliveries of one message ingested at once: one message, seven duplicates.
            var ids: [Int64] = []
            for _ in 0..<8 { ids.append(try await fixture.insert("sms", json: ["from": "+380631112233", "text": "Терміново: де посилка?"], externalID: "SM-RACE")) }
            let outcomes = try await withThrowingTaskGroup(of: IngestOutcome.self) { group in
                for id in ids {
                    group.addTask {
                        let connection = try await fixture.schema.connect()
                        defer { Task { await connection.close() } }
                        return try await connection.run { connection in try await InboundIngestor().ingest(id, on: connection) }
                    }
                }
                return try await group.reduce(into: [IngestOutcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { if case .conversation = $0 { true } else { false } }.count == 1)
            #expect(outcomes.filter { if case .duplicate = $0 { true } else { false } }.count == 7)
            #expect(try await fixture.int("SELECT count(*) FROM messages WHERE external_id = 'SM-RACE'") == 1)
            #expect(try await fixture.int("SELECT count(*) FROM customers WHERE merged_into IS NULL") == 4)
        }
    }

    @Test("identity: contacts seen on one channel link on another; two profiles found to be one are merged")
    func identityMerges() async throws {
        try await IngestFixture.with("identity") { fixture in
            // Without a default region a national number cannot be read; with one it can.
            let unreadable = try await fixture.receive("sms", json: ["from": "067 123 45 67", "text": "Вітаю! Питання про доставку"])
            #expect(unreadable == .rejected(code: "invalid_sender"))
            try await fixture.connection.execute("UPDATE ingest_settings SET default_region = 'UA'")
            let sms = try await fixture.receive("sms", json: ["from": "067 123 45 67", "text": "Вітаю! Питання про доставку"]).placed
            let whatsapp = try await fixture.receive("social", json: ["platform": "whatsapp", "sender_id": "+380671234567", "text": "Це я знову, з WhatsApp"]).placed
            #expect(whatsapp.customerID == sms.customerID)
            let web = try await fixture.receive("webform", json: ["email": "Olena.K@Example.com", "name": "Olena", "text": "Question about my order"]).placed
            #expect(web.customerID != sms.customerID)
            // A chat visitor giving both the email and the phone shows the two profiles are one person.
            let chat = try await fixture.receive("chat", json: ["session_id": "c-9", "visitor": ["email": "olena.k@example.com", "phone": "+380 67 123 4567", "name": "Olena K"], "text": "Hello, it is me again"]).placed
            let survivor = min(sms.customerID, web.customerID)
            #expect(chat.customerID == survivor)
            #expect(try await fixture.int("SELECT count(*) FROM customers WHERE merged_into = \(survivor)") == 1)
            #expect(try await fixture.int("SELECT count(DISTINCT customer_id) FROM conversations WHERE customer_id IN (SELECT id FROM customers WHERE merged_into IS NULL)") == 1)
            #expect(try await fixture.int("SELECT count(*) FROM conversations WHERE customer_id <> \(survivor)") == 0)
            #expect(try await fixture.int("SELECT count(*) FROM customer_identities WHERE customer_id = \(survivor)") >= 4)
            #expect(try await fixture.int("SELECT count(*) FROM audit_events WHERE kind = 'customer_merged' AND customer_id = \(survivor)") == 1)
            #expect(try await fixture.text("SELECT name FROM customers WHERE id = \(survivor)") != nil)
        }
    }

    @Test("every kind of bad input is kept and marked rejected with its reason; retry re-processes after a fix")
    func rejections() async throws {
        try await IngestFixture.with("rejects") { fixture in
            let cases: [(String?, Data?, String?, String)] = [
                ("fax", Data("{}".utf8), nil, "unknown_channel"),
                (nil, Data("{}".utf8), nil, "unknown_channel"),
                ("sms", Data([0x7B, 0xFF, 0xFE, 0x7D]), nil, "invalid_utf8"),
                ("sms", Data("{\"from\": \"+380671234567\", \"text\": ".utf8), nil, "malformed_payload"),
                ("sms", nil, nil, "malformed_payload"),
                ("chat", Data("[1, 2]".utf8), nil, "malformed_payload"),
                ("sms", Data("{\"text\": \"hello\"}".utf8), nil, "missing_sender"),
                ("sms", Data("{\"from\": \"not a number\", \"text\": \"hello\"}".utf8), nil, "invalid_sender"),
                ("webform", Data("{\"email\": \"a@example.com\", \"text\": \"   \"}".utf8), nil, "empty_message"),
                ("email", Data("this is not\r\na mail".utf8), nil, "malformed_payload"),
                ("email", Data("Subject: no sender\r\n\r\nHello".utf8), nil, "missing_sender"),
                ("sms", Data("{\"from\": \"+380671234567\", \"text\": \"hi\"}".utf8), "no-such-store", "unknown_store"),
            ]
            for (channel, payload, store, code) in cases {
                let id = try await fixture.insert(channel, payload, store: store)
                let outcome = try await fixture.ingest(id)
                #expect(outcome == .rejected(code: code), "\(channel ?? "nil") → \(code): \(outcome)")
                let reason = try await fixture.text("SELECT reject_reason FROM inbound_messages WHERE id = \(id)")
                #expect((reason ?? "").count > 10, "reason for \(code): \(reason ?? "none")")
            }
            // Over the size limit; fixed by raising it, then retried.
            try await fixture.connection.execute("UPDATE ingest_settings SET max_payload_bytes = 40")
            let big = try await fixture.insert("sms", json: ["from": "+380671234567", "text": "A long message that is over the tiny limit"])
            #expect(try await fixture.ingest(big) == .rejected(code: "too_large"))
            try await fixture.connection.execute("UPDATE ingest_settings SET max_payload_bytes = 1048576")
            try await fixture.connection.run { connection in try InboundAdmin.retry(big, on: connection) }
            #expect(try await fixture.int("SELECT count(*) FROM jobs WHERE kind = 'ingest' AND args->>'inbound_id' = '\(big)' AND unique_key IS NOT NULL") == 1)
            _ = try await fixture.ingest(big).placed
            // A processed row is refused with a reason.
            do {
                try await fixture.connection.run { connection in try InboundAdmin.retry(big, on: connection) }
                Issue.record("retrying a processed row succeeded")
            } catch let error as PostgresError {
                #expect(error.message.contains("is processed; only rejected or unprocessed messages can be retried"))
            }
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages") == cases.count + 1)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'rejected'") == cases.count)
        }
    }

    @Test("automatic answers from real order rows and policy texts, in the customer's language")
    func automaticAnswers() async throws {
        try await IngestFixture.with("answers") { fixture in
            let applied = try await fixture.orderEvent("1001", "shipped", [
                "customer": ["email": "olena@example.com", "phone": "+380671234567", "name": "Олена"],
                "total": "1250.00", "currency": "UAH", "carrier": "Nova Poshta",
                "tracking_number": "20450000000001", "tracking_url": "https://novaposhta.ua/tracking/?cargo_number=20450000000001&x=1",
            ])
            guard case .applied(let orderID) = applied else { throw Unexpected("order event not applied: \(applied)") }

            let asked = try await fixture.receive("sms", json: ["from": "+380671234567", "text": "Добрий день! Де моє замовлення? Чекаю вже тиждень."]).placed
            #expect(asked.autoAnswered == "where_is_my_order")
            let conversation = try await fixture.conversation(asked.conversationID)
            #expect(conversation.status == "pending" && conversation.orderID == orderID)
            let answer = try #require(try await fixture.text("SELECT body_text FROM outbox WHERE conversation_id = \(asked.conversationID) AND kind = 'auto_answer' AND channel = 'sms' AND locale = 'uk'"))
            #expect(answer.contains("Олена") && answer.contains("1001") && answer.contains("відправлене"))
            #expect(answer.contains("https://novaposhta.ua/tracking/?cargo_number=20450000000001&x=1"))
            #expect(try await fixture.int("SELECT count(*) FROM messages WHERE conversation_id = \(asked.conversationID) AND author_kind = 'bot' AND direction = 'outbound'") == 1)
            #expect(try await fixture.routeJobs(asked.conversationID) == 0)

            // The customer writes again: a person takes over.
            let again = try await fixture.receive("sms", json: ["from": "+380671234567", "text": "Дякую, але трекінг не оновлюється"]).placed
            #expect(again.conversationID == asked.conversationID && again.autoAnswered == nil)
            let reopened = try await fixture.conversation(asked.conversationID)
            #expect(reopened.status == "open" && reopened.hints.contains("high_order_value") && reopened.priority == 2)
            #expect(try await fixture.routeJobs(asked.conversationID) == 1)

            // Policies in Polish, Chinese, Arabic and English, from policy_texts.
            let policies: [(String, [String: Any], String, String)] = [
                ("webform", ["email": "jan@example.pl", "text": "Jaka jest polityka zwrotów? Czy mogę zwrócić buty po tygodniu?"], "pl", "30 dni"),
                ("social", ["platform": "wechat", "sender_id": "wx-1", "text": "你好，请问发货需要多久？我在上海。"], "zh", "工作日"),
                ("chat", ["session_id": "ar-1", "text": "مرحبا، ما هي مدة الشحن إلى دبي؟"], "ar", "أيام عمل"),
                ("chat", ["session_id": "en-1", "text": "Hi! What is your return policy for sale items?"], "en", "30 days"),
            ]
            for (channel, payload, locale, phrase) in policies {
                let placed = try await fixture.receive(channel, json: payload).placed
                #expect(placed.autoAnswered != nil, "\(locale)")
                let body = try await fixture.text("SELECT body_text FROM outbox WHERE conversation_id = \(placed.conversationID) AND locale = '\(locale)'")
                #expect(body?.contains(phrase) == true, "\(locale): \(body ?? "no answer")")
            }
            #expect(try await fixture.text("SELECT channel FROM outbox WHERE locale = 'pl'") == "email")

            // No order: not answered, routed, and the audit says why.
            let noOrder = try await fixture.receive("sms", json: ["from": "+380999999999", "text": "Where is my order? It has been ten days."]).placed
            #expect(noOrder.autoAnswered == nil)
            #expect(try await fixture.routeJobs(noOrder.conversationID) == 1)
            #expect(try await fixture.text("SELECT detail->>'reason' FROM audit_events WHERE kind = 'auto_answer_skipped' AND conversation_id = \(noOrder.conversationID)") == "the customer has no order")

            // Two intents equally strong: not confident, so a person answers.
            let mixed = try await fixture.receive("chat", json: ["session_id": "mix", "text": "Where is my order, and what is your return policy?"]).placed
            #expect(mixed.autoAnswered == nil)
            #expect(try await fixture.routeJobs(mixed.conversationID) == 1)
            #expect(try await fixture.text("SELECT detail->>'reason' FROM audit_events WHERE kind = 'auto_answer_skipped' AND conversation_id = \(mixed.conversationID)") == "not confident")

            // A broken template falls back to a person and leaves a trace.
            try await fixture.connection.execute("UPDATE auto_answer_templates SET body = 'Hello {{#unclosed}}' WHERE intent = 'return_policy' AND locale = 'en'")
            let broken = try await fixture.receive("chat", json: ["session_id": "en-2", "text": "What is your return policy?"]).placed
            #expect(broken.autoAnswered == nil)
            #expect(try await fixture.routeJobs(broken.conversationID) == 1)
            #expect(try await fixture.int("SELECT count(*) FROM audit_events WHERE kind = 'auto_answer_failed'") == 1)
        }
    }

    @Test("admin rules: a bad pattern is refused with what is wrong; new rules and urgency, VIP and order value raise priority")
    func adminRules() async throws {
        try await IngestFixture.with("rules") { fixture in
            let refusals: [(String, String)] = [
                ("INSERT INTO category_rules (category, language, pattern) VALUES ('delivery', 'en', '(unclosed')", "is not a valid regular expression"),
                ("INSERT INTO category_rules (category, language, pattern) VALUES ('delivery', 'english', 'parcel')", "language must be an ISO 639 code"),
                ("INSERT INTO category_rules (category, language, pattern) VALUES ('delivery', 'en', 'x*')", "matches empty text"),
                ("INSERT INTO category_rules (category, language, pattern, weight) VALUES ('delivery', 'en', 'parcel', 0)", "weight must be greater than 0"),
                ("INSERT INTO category_rules (category, language, pattern) VALUES ('shipping', 'en', 'parcel')", "is not present in table \"categories\""),
                ("INSERT INTO auto_answer_rules (intent, language, pattern) VALUES ('where_is_my_order', 'en', '[a-')", "is not a valid regular expression"),
                ("INSERT INTO urgency_rules (language, pattern) VALUES ('en', '')", "the pattern is empty"),
                ("INSERT INTO policy_texts (topic, locale, body) VALUES ('return_policy', 'EN', 'x')", "locale must be an ISO 639 code"),
            ]
            for (sql, message) in refusals {
                do {
                    try await fixture.connection.execute(PostgresQuery(unsafeSQL: sql))
                    Issue.record("accepted: \(sql)")
                } catch let error as PostgresError {
                    let text = error.message + " " + (error.detail ?? "")
                    #expect(text.contains(message), "\(sql): \(text)")
                }
            }
            // A new category rule applies to the next message at once.
            try await fixture.connection.execute("INSERT INTO categories (name, description) VALUES ('wholesale', 'Bulk and B2B buyers')")
            try await fixture.connection.execute("INSERT INTO category_rules (category, language, pattern, weight) VALUES ('wholesale', '*', '\\m(wholesale|bulk order)\\M', 5)")
            let b2b = try await fixture.receive("chat", json: ["session_id": "b2b", "text": "We would like to place a bulk order of 500 mugs for our cafes."]).placed
            #expect(try await fixture.conversation(b2b.conversationID).category == "wholesale")

            // Priority: normal; urgent words → high; VIP and urgent → urgent.
            let plain = try await fixture.receive("sms", json: ["from": "+380501112233", "text": "Доброго дня, маю питання про розміри"]).placed
            #expect(try await fixture.conversation(plain.conversationID).priority == 3)
            let urgent = try await fixture.receive("sms", json: ["from": "+380501112244", "text": "Терміново! Посилка потрібна до завтра"]).placed
            let urgentRow = try await fixture.conversation(urgent.conversationID)
            #expect(urgentRow.priority == 2 && urgentRow.hints.contains("urgent_words"))
            try await fixture.connection.execute("UPDATE customers SET tier = 'vip' WHERE id = \(plain.customerID)")
            try await fixture.connection.execute("UPDATE channel_settings SET thread_window = '0', reopen_window = '0' WHERE channel = 'sms'")
            let vip = try await fixture.receive("sms", json: ["from": "+380501112233", "text": "Pilne: gdzie jest kurier?"]).placed
            let vipRow = try await fixture.conversation(vip.conversationID)
            #expect(vipRow.priority == 1 && vipRow.hints.contains("vip") && vipRow.hints.contains("urgent_words"))
            let job = try await fixture.int("SELECT priority FROM jobs WHERE kind = 'route' AND args->>'conversation_id' = '\(vip.conversationID)'")
            #expect(job == 1)
        }
    }

    @Test("order events: created and updated out of order, linked by number in the text, bad events rejected")
    func orderEvents() async throws {
        try await IngestFixture.with("orders") { fixture in
            _ = try await fixture.orderEvent("SB-2001", "created", [
                "customer": ["email": "Mark@Example.com", "name": "Mark"], "total": "80.00", "currency": "eur",
                "items": [["sku": "MUG-1", "name": "Mug", "quantity": 2, "unit_price": "20.00"], ["sku": "TEA-1", "name": "Tea", "quantity": 1, "unit_price": "40.00"]],
            ], occurredAt: "2026-11-20T10:00:00Z")
            _ = try await fixture.orderEvent("SB-2001", "delivered", [:], occurredAt: "2026-11-22T10:00:00Z")
            // The shipped event arrives after the delivered one: the status stays delivered.
            _ = try await fixture.orderEvent("SB-2001", "shipped", ["carrier": "DHL", "tracking_url": "https://dhl.example/t/1"], occurredAt: "2026-11-21T10:00:00Z")
            #expect(try await fixture.text("SELECT status FROM orders WHERE number = 'SB-2001'") == "delivered")
            #expect(try await fixture.text("SELECT carrier FROM orders WHERE number = 'SB-2001'") == "DHL")
            #expect(try await fixture.int("SELECT count(*) FROM order_items") == 2)
            #expect(try await fixture.text("SELECT currency FROM orders") == "EUR")

            let bad: [(String?, String?, [String: Any], String)] = [
                ("SB-2002", "teleported", [:], "unknown event kind"),
                (nil, "created", [:], "has no order_number"),
                ("SB-2003", "created", ["total": "a lot"], "bad value"),
                ("SB-2004", "created", ["items": [["name": "Mug", "quantity": -1]]], "bad value"),
            ]
            for (number, kind, payload, reason) in bad {
                let outcome = try await fixture.orderEvent(number, kind, payload)
                guard case .rejected(let text) = outcome else { Issue.record("accepted \(kind ?? "nil")"); continue }
                #expect(text.contains(reason), "\(text)")
            }
            #expect(try await fixture.int("SELECT count(*) FROM order_events WHERE status = 'rejected'") == 4)
            #expect(try await fixture.int("SELECT count(*) FROM orders") == 1)

            // The order number in a mail links the order of that customer (never someone else's).
            let mail = try await fixture.receiveEmail("""
                From: mark@example.com
                Subject: Order #SB-2001
                Message-ID: <o1@example.com>
                Content-Type: text/plain

                One of the mugs arrived broken, can I get a replacement?
                """).placed
            let linked = try await fixture.conversation(mail.conversationID)
            #expect(linked.orderID != nil)
            let other = try await fixture.receive("chat", json: ["session_id": "z", "text": "Tell me about order SB-2001 please"]).placed
            #expect(try await fixture.conversation(other.conversationID).orderID == nil)
        }
    }

    @Test("order events in one batch end as each would alone, in order: an order created then shipped, a bad event rejected, a bad contact audited, a missing event without an outcome")
    func orderEventBatch() async throws {
        try await IngestFixture.with("orders_batch") { fixture in
            func insert(_ number: String, _ kind: String, _ payload: String) async throws -> Int64 {
                try await fixture.connection.query("""
                    INSERT INTO order_events (order_number, kind, payload) VALUES (\(number), \(kind), \(payload)::jsonb) RETURNING id
                    """).scalar(Int64.self)
            }
            let created = try await insert("SB-3001", "created", #"{"customer": {"email": "Ann@Example.com", "phone": "not a phone"}, "total": "12.00"}"#)
            let shipped = try await insert("SB-3001", "shipped", #"{"carrier": "DHL"}"#)
            let bad = try await insert("SB-3002", "teleported", "{}")
            let missing: Int64 = 9_999_999
            let outcomes = try await fixture.connection.run { connection in
                try await fixture.applier.apply(batch: [created, shipped, bad, missing], on: connection)
            }
            guard case .applied(let order)? = outcomes[created], case .applied(order)? = outcomes[shipped] else {
                Issue.record("\(outcomes)")
                return
            }
            guard case .rejected(let reason)? = outcomes[bad] else { Issue.record("\(outcomes)"); return }
            #expect(reason.contains("unknown event kind"))
            #expect(outcomes[missing] == nil && outcomes.count == 3)
            #expect(try await fixture.text("SELECT status || ' ' || carrier FROM orders WHERE id = \(order)") == "shipped DHL")
            #expect(try await fixture.text("SELECT value FROM customer_identities WHERE kind = 'email'") == "ann@example.com")
            #expect(try await fixture.text("""
                SELECT detail->>'notes' FROM audit_events WHERE kind = 'order_event_contact_ignored' AND order_id = \(order)
                """)?.hasPrefix("customer.phone ignored") == true)
        }
    }

    @Test("the integration role may insert inbound messages and order events, and nothing else")
    func integrationRole() async throws {
        try await IngestFixture.with("role") { fixture in
            try await fixture.connection.execute("SET ROLE switchboard_integration")
            try await fixture.connection.execute("""
                INSERT INTO inbound_messages (channel, external_id, payload)
                VALUES ('sms', 'SM-R', convert_to('{"from": "+380671234567", "text": "hi"}', 'UTF8'))
                """)
            try await fixture.connection.execute("INSERT INTO order_events (order_number, kind) VALUES ('1', 'created')")
            for forbidden in ["SELECT * FROM inbound_messages", "UPDATE inbound_messages SET status = 'processed'",
                              "DELETE FROM order_events", "SELECT * FROM customers",
                              "INSERT INTO jobs (kind) VALUES ('x')"] {
                do {
                    try await fixture.connection.execute(PostgresQuery(unsafeSQL: forbidden))
                    Issue.record("allowed: \(forbidden)")
                } catch let error as PostgresError {
                    #expect(error.sqlState == "42501", "\(forbidden): \(error)")
                }
            }
            try await fixture.connection.execute("RESET ROLE")
            #expect(try await fixture.int("SELECT count(*) FROM jobs WHERE queue = 'ingest'") == 2)
        }
    }
}
