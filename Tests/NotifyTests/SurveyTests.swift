import EmailParsing
import Foundation
import Helpdesk
import Ingest
import JobQueue
import Migrations
import Notify
import Postgres
import Surveys
import Testing
import TestSupport

/// The survey worker: CSAT scheduled on resolution, superseded on reopening, decided by the
/// store's settings, and sent by the notification worker with a link per rating.
@Suite("Surveys: CSAT after a resolution")
struct SurveyTests {
    /// A conversation of a new customer (known by `email`), with `messages` (author kinds), left open.
    static func conversation(_ f: NotifyFixture, email: String, locale: String = "en", messages: [String] = ["customer", "agent"]) async throws -> Int64 {
        let customer = try await f.customer(email, name: "Olena Koval")
        try await f.connection.execute("UPDATE customers SET preferred_locale = \(locale) WHERE id = \(customer)")
        let conversation = try await f.connection.query("""
            INSERT INTO conversations (store_id, customer_id, channel, status) VALUES (1, \(customer), 'email', 'open') RETURNING id
            """).scalar(Int64.self)
        for author in messages {
            try await f.connection.execute("""
                INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text)
                VALUES (1, \(conversation), \(author == "customer" ? "inbound" : "outbound"), \(author), 'email', 'text')
                """)
        }
        return conversation
    }

    static func resolve(_ f: NotifyFixture, _ conversation: Int64) async throws {
        try await f.connection.execute("UPDATE conversations SET status = 'resolved', resolved_at = now() WHERE id = \(conversation)")
    }

    static func reopen(_ f: NotifyFixture, _ conversation: Int64) async throws {
        try await f.connection.execute("""
            UPDATE conversations SET status = 'open', resolved_at = NULL, reopen_count = reopen_count + 1 WHERE id = \(conversation)
            """)
    }

    /// What `survey_send` decided for the conversation's latest survey.
    static func send(_ f: NotifyFixture, _ conversation: Int64) async throws -> String? {
        try await f.connection.query("""
            SELECT survey_send(id) FROM surveys WHERE conversation_id = \(conversation) ORDER BY id DESC LIMIT 1
            """).first?.decode(String?.self, at: 0)
    }

    static func surveys(_ f: NotifyFixture, _ conversation: Int64) async throws -> [[String]] {
        try await f.connection.query("""
            SELECT status, coalesce(reason, ''), episode::text FROM surveys WHERE conversation_id = \(conversation) ORDER BY id
            """).map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)] }
    }

    @Test("Resolving schedules one survey per resolution, due after the store's delay; reopening supersedes it and calls back its message")
    func scheduleAndSupersede() async throws {
        try await NotifyFixture.with("surveys-schedule") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            let conversation = try await Self.conversation(f, email: "olena@example.com")
            try await Self.resolve(f, conversation)
            #expect(try await Self.surveys(f, conversation) == [["scheduled", "", "0"]])
            let job = try #require(try await f.connection.query("""
                SELECT state, extract(epoch FROM run_at - now())::int FROM jobs WHERE queue = 'surveys' AND kind = 'survey'
                """).first)
            #expect(try job.decode(String.self, at: 0) == "scheduled")
            #expect((3500...3600).contains(try job.decode(Int.self, at: 1)), "an hour later, the default delay")
            // The same resolution seen twice makes no second survey.
            try await f.connection.execute("UPDATE conversations SET status = 'closed' WHERE id = \(conversation)")
            try await f.connection.execute("UPDATE conversations SET status = 'resolved' WHERE id = \(conversation)")
            #expect(try await f.int("SELECT count(*) FROM surveys WHERE conversation_id = \(conversation)") == 1)

            // Queued, then reopened before an answer: superseded, and its message never leaves.
            #expect(try await Self.send(f, conversation) == "queued")
            let outbox = try await f.int("SELECT outbox_id::int FROM surveys WHERE conversation_id = \(conversation)")
            #expect(try await f.status(Int64(outbox)).status == "pending")
            try await Self.reopen(f, conversation)
            #expect(try await Self.surveys(f, conversation) == [["superseded", "the conversation was reopened before an answer", "0"]])
            #expect(try await f.status(Int64(outbox)).status == "cancelled")
            // Resolved again: a new episode, a new survey.
            try await Self.resolve(f, conversation)
            #expect(try await Self.surveys(f, conversation).map { $0[0] + "/" + $0[2] } == ["superseded/0", "scheduled/1"])
        }
    }

    @Test("A survey not sent says why: turned off, the bot resolved it, outside the sample, the customer had one lately, no link address")
    func skipped() async throws {
        try await NotifyFixture.with("surveys-skip") { f in
            // No public address yet: nothing to answer with.
            let first = try await Self.conversation(f, email: "a@example.com")
            try await Self.resolve(f, first)
            #expect(try await Self.send(f, first)?.contains("public_base_url is not set") == true)
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")

            let bot = try await Self.conversation(f, email: "b@example.com", messages: ["customer", "bot"])
            try await Self.resolve(f, bot)
            #expect(try await Self.send(f, bot)?.contains("the bot resolved it without an agent") == true)

            // The same customer twice within the gap: the second is skipped, naming the first's day.
            let customerTwice = try await Self.conversation(f, email: "c@example.com")
            try await Self.resolve(f, customerTwice)
            #expect(try await Self.send(f, customerTwice) == "queued")
            let second = try await f.connection.query("""
                INSERT INTO conversations (store_id, customer_id, channel, status)
                SELECT store_id, customer_id, 'email', 'open' FROM conversations WHERE id = \(customerTwice) RETURNING id
                """).scalar(Int64.self)
            try await Self.resolve(f, second)
            let gap = try #require(try await Self.send(f, second))
            #expect(gap.contains("the customer had a survey on") && gap.contains("at most one every 30 days"), "\(gap)")

            try await f.connection.execute("INSERT INTO survey_settings (store_id, sample_percent) VALUES (1, 0)")
            let unsampled = try await Self.conversation(f, email: "d@example.com")
            try await Self.resolve(f, unsampled)
            #expect(try await Self.send(f, unsampled)?.contains("not in the sample: 0 % of surveys are sent") == true)

            try await f.connection.execute("UPDATE survey_settings SET sample_percent = 100, csat_enabled = false WHERE store_id = 1")
            let off = try await Self.conversation(f, email: "e@example.com")
            try await Self.resolve(f, off)
            #expect(try await f.int("SELECT count(*) FROM surveys WHERE conversation_id = \(off)") == 0, "turned off: none scheduled")
            // Turned off after it was scheduled: skipped when due.
            try await f.connection.execute("UPDATE survey_settings SET csat_enabled = true WHERE store_id = 1")
            let later = try await Self.conversation(f, email: "f@example.com")
            try await Self.resolve(f, later)
            try await f.connection.execute("UPDATE survey_settings SET csat_enabled = false WHERE store_id = 1")
            #expect(try await Self.send(f, later) == "skipped: CSAT surveys are turned off for this store")
            // Every skipped survey has its reason (the table refuses one without).
            #expect(try await f.int("SELECT count(*) FROM surveys WHERE status = 'skipped' AND reason IS NULL") == 0)
            #expect(try await f.int("SELECT count(*) FROM surveys WHERE status = 'skipped'") == 5)
        }
    }

    @Test("Running: the survey worker hands a due survey to the notification worker, which mails it in the customer's language with a link per rating")
    func mailed() async throws {
        try await NotifyFixture.with("surveys-mail") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            try await f.connection.execute("INSERT INTO survey_settings (store_id, csat_delay) VALUES (1, '0')")
            // Surveys wait out quiet hours like any notice (this test runs at any hour).
            try await f.connection.execute("UPDATE stores SET quiet_hours_start = NULL, quiet_hours_end = NULL WHERE id = 1")
            var registry = JobRegistry()
            NotifyWorker.register(into: &registry, pool: f.pool, notifier: f.notifier)
            SurveyWorker.register(into: &registry, pool: f.pool)
            var configuration = JobWorkerConfiguration(queues: [HelpdeskJobs.notifyQueue: 2, HelpdeskJobs.surveysQueue: 2])
            configuration.pollInterval = .milliseconds(200)
            let worker = JobWorker(database: f.schema.configuration, configuration: configuration, registry: registry)
            let running = Task { try await worker.run() }
            var failure: (any Error)?
            do {
                let conversation = try await Self.conversation(f, email: "olena@example.com", locale: "uk")
                try await Self.resolve(f, conversation)
                let deadline = ContinuousClock.now + .seconds(60)
                while try f.peer.received().isEmpty {
                    guard ContinuousClock.now < deadline else {
                        let state = try await f.connection.query("""
                            SELECT format('survey %s %s %s; outbox %s %s; jobs %s', s.status, s.reason, s.outbox_id, o.status, o.last_error,
                                          (SELECT string_agg(j.kind || ':' || j.state || ':' || j.errors::text, ', ') FROM jobs j))
                              FROM surveys s LEFT JOIN outbox o ON o.id = s.outbox_id
                            """).map { try $0.decode(String.self, at: 0) }
                        throw SMTPPeerError(description: "no survey mailed within 60 s: \(state)")
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let mail = try ParsedEmail.parse(try #require(try f.peer.received().first).raw)
                #expect(mail.subject == "Як ми впоралися?")
                let text = mail.text ?? ""
                #expect(text.contains("Вітаємо, Olena!"), "\(text)")
                let links = text.split(separator: "\n").filter { $0.contains("https://help.shop.example/s/") }.map(String.init)
                #expect(links.count == 5 && links.first?.hasPrefix("5 — чудово: ") == true, "\(links)")
                // The token in the links is stored only as its hash.
                let token = try #require(links.first?.split(separator: "/").last?.split(separator: "?").first.map(String.init))
                #expect(try await f.connection.query("""
                    SELECT count(*) FROM surveys WHERE token_hash = sha256(convert_to(\(token), 'UTF8'))
                    """).scalar(Int.self) == 1)
                #expect(try await f.connection.query("""
                    SELECT count(*) FROM surveys WHERE position(convert_to(\(token), 'UTF8') IN coalesce(token_hash, '')) > 0
                    """).scalar(Int.self) == 0)
                #expect(try await Self.surveys(f, conversation) == [["queued", "", "0"]])
                // The worker records the send once the SMTP server has taken the mail: a moment after it arrived there.
                let recorded = ContinuousClock.now + .seconds(30)
                while try await f.int("SELECT count(*) FROM outbox WHERE purpose = 'surveys' AND status = 'sent' AND kind = 'survey_csat'") == 0,
                      ContinuousClock.now < recorded {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await f.int("SELECT count(*) FROM outbox WHERE purpose = 'surveys' AND status = 'sent' AND kind = 'survey_csat'") == 1)

                // The same worker keeps the service metrics' facts: the leader's schedule enqueues the refresh job.
                #expect(try await f.int("SELECT count(*) FROM service_facts_stale WHERE conversation_id = \(conversation)") > 0)
                try await f.connection.execute("""
                    INSERT INTO jobs (queue, kind, args) VALUES ('surveys', 'service_facts_refresh', '{}')
                    """)
                let refreshed = ContinuousClock.now + .seconds(30)
                while try await f.int("""
                    SELECT (SELECT count(*) FROM service_facts_stale) + (SELECT count(*) FROM jobs WHERE kind = 'service_facts_refresh' AND state <> 'completed')
                    """) > 0, ContinuousClock.now < refreshed {
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(try await f.int("SELECT count(*) FROM service_facts_stale") == 0)
                #expect(try await f.int("SELECT count(*) FROM jobs WHERE kind = 'service_facts_refresh' AND state <> 'completed'") == 0)
                #expect(try await f.int("""
                    SELECT count(*) FROM service_facts f JOIN conversation_facts c USING (conversation_id)
                     WHERE f.resolved_at = c.resolved_at AND f.status = 'resolved' AND f.conversation_id = \(conversation)
                    """) == 1)
            } catch { failure = error }
            running.cancel()
            _ = try? await running.value
            if let failure { throw failure }
        }
    }
}

@Suite("Surveys: CES, the post-delivery follow-up and NPS")
struct SurveyKindTests {
    static func order(_ f: NotifyFixture, customer: Int64, number: String) async throws -> Int64 {
        try await f.connection.query("""
            INSERT INTO orders (store_id, customer_id, number, status) VALUES (1, \(customer), \(number), 'shipped') RETURNING id
            """).scalar(Int64.self)
    }

    static func deliver(_ f: NotifyFixture, _ order: Int64) async throws {
        try await f.connection.execute("UPDATE orders SET status = 'delivered', delivered_at = now() WHERE id = \(order)")
    }

    static func survey(_ f: NotifyFixture, order: Int64) async throws -> (kind: String, dueInSeconds: Int)? {
        try await f.connection.query("""
            SELECT kind, extract(epoch FROM due_at - now())::int FROM surveys WHERE order_id = \(order)
            """).first.map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
    }

    @Test("A chosen category gets CES; a delivered order the follow-up a day later, or NPS once the customer has two delivered orders, at most every 90 days")
    func kinds() async throws {
        try await NotifyFixture.with("surveys-kinds") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            try await f.connection.execute("UPDATE survey_settings SET ces_categories = '{returns}', min_gap = '0'")
            let conversation = try await SurveyTests.conversation(f, email: "ces@example.com")
            try await f.connection.execute("UPDATE conversations SET category = 'returns' WHERE id = \(conversation)")
            try await SurveyTests.resolve(f, conversation)
            #expect(try await f.connection.query("SELECT kind FROM surveys WHERE conversation_id = \(conversation)").scalar(String.self) == "ces")

            let customer = try await f.customer("orders@example.com", name: "Marta")
            let first = try await Self.order(f, customer: customer, number: "1001")
            try await Self.deliver(f, first)
            let followUp = try #require(try await Self.survey(f, order: first))
            #expect(followUp.kind == "post_delivery" && (86300...86400).contains(followUp.dueInSeconds), "\(followUp)")
            #expect(try await f.connection.query("SELECT survey_send(id) FROM surveys WHERE order_id = \(first)").scalar(String.self) == "queued")
            let outbox = try #require(try await f.connection.query("""
                SELECT o.kind, o.order_id, o.purpose FROM outbox o JOIN surveys s ON s.outbox_id = o.id WHERE s.order_id = \(first)
                """).first)
            #expect(try outbox.decode(String.self, at: 0) == "survey_post_delivery" && outbox.decode(Int64?.self, at: 1) == first)

            // The second delivered order: NPS in its place; the third, within 90 days of it: the follow-up again.
            let second = try await Self.order(f, customer: customer, number: "1002")
            try await Self.deliver(f, second)
            #expect(try await Self.survey(f, order: second)?.kind == "nps")
            let third = try await Self.order(f, customer: customer, number: "1003")
            try await Self.deliver(f, third)
            #expect(try await Self.survey(f, order: third)?.kind == "post_delivery")

            // Returned before its survey was due: skipped, saying so.
            try await f.connection.execute("UPDATE orders SET status = 'returned' WHERE id = \(third)")
            #expect(try await f.connection.query("SELECT survey_send(id) FROM surveys WHERE order_id = \(third)").scalar(String.self)
                    == "skipped: the order is no longer delivered but returned")
            // Delivered again (a status flip) makes no second survey for the order.
            try await Self.deliver(f, third)
            #expect(try await f.int("SELECT count(*) FROM surveys WHERE order_id = \(third)") == 1)
        }
    }
}

@Suite("Surveys: one contact budget with notifications")
struct SurveyBudgetTests {
    @Test("A customer whose month of marketing filled the contact budget gets no survey: its message is suppressed, saying which cap")
    func budgetShared() async throws {
        try await NotifyFixture.with("surveys-budget") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            try await f.connection.execute("UPDATE stores SET quiet_hours_start = NULL, quiet_hours_end = NULL WHERE id = 1")
            let conversation = try await SurveyTests.conversation(f, email: "busy@example.com")
            let customer = try await f.connection.query("SELECT customer_id FROM conversations WHERE id = \(conversation)").scalar(Int64.self)
            // Six news mails this month: the default 'contact budget' cap (marketing and surveys, 6 in 30 days) is full.
            try await f.connection.execute("""
                INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key, status, sent_at)
                SELECT 1, \(customer), 'newsletter', 'marketing', 'email', 'en', 'News', 'news:' || n, 'sent', now() - n * interval '2 days'
                  FROM generate_series(1, 6) AS n
                """)
            try await SurveyTests.resolve(f, conversation)
            #expect(try await SurveyTests.send(f, conversation) == "queued", "the survey worker hands it over")
            let outbox = try await f.connection.query("SELECT outbox_id FROM surveys WHERE conversation_id = \(conversation)").scalar(Int64.self)
            guard case .suppressed(let reason) = try await f.notifier.send(outbox, pool: f.pool) else {
                Issue.record("the survey's message went out past a full contact budget")
                return
            }
            #expect(reason.contains("frequency cap 'contact budget' reached: 6 of 6 marketing and surveys messages"), "\(reason)")
            #expect(try await f.status(outbox).status == "suppressed")
            #expect(try await f.events(outbox) == ["suppressed"], "the decision log says why")
            #expect(try f.peer.received().isEmpty)
        }
    }
}

@Suite("Surveys: answers by reply")
struct SurveyReplyTests {
    @Test("An SMS that is only a rating — ٥, ４/5 — answers the open survey and becomes no message; anything more stays an ordinary message")
    func answeredByReply() async throws {
        try await NotifyFixture.with("surveys-reply") { f in
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = 'https://help.shop.example'")
            let customer = try await f.connection.query("""
                WITH c AS (INSERT INTO customers (store_id, name, preferred_locale) VALUES (1, 'Amal', 'ar') RETURNING id)
                INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'phone', '+971501234567' FROM c
                RETURNING customer_id
                """).scalar(Int64.self)
            let conversation = try await f.connection.query("""
                INSERT INTO conversations (store_id, customer_id, channel, status) VALUES (1, \(customer), 'sms', 'open') RETURNING id
                """).scalar(Int64.self)
            try await f.connection.execute("""
                INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text)
                VALUES (1, \(conversation), 'inbound', 'customer', 'sms', 'أين طلبي؟'), (1, \(conversation), 'outbound', 'agent', 'sms', 'في الطريق')
                """)
            func receive(_ text: String) async throws -> IngestOutcome {
                let payload = try JSONSerialization.data(withJSONObject: ["from": "+971501234567", "to": "+97141234567", "text": text])
                let id = try await f.connection.query("""
                    INSERT INTO inbound_messages (channel, external_id, payload) VALUES ('sms', \("SM" + UUID().uuidString), \(payload)) RETURNING id
                    """).scalar(Int64.self)
                return try await f.connection.run { connection in try await InboundIngestor().ingest(id, on: connection) }
            }
            func answer() async throws -> [String] {
                let row = try #require(try await f.connection.query("SELECT status, rating, answer_source FROM surveys").first)
                return [try row.decode(String.self, at: 0), String(describing: try row.decode(Int?.self, at: 1)),
                        String(describing: try row.decode(String?.self, at: 2))]
            }
            // Before any survey, a bare "5" is an ordinary message.
            guard case .conversation = try await receive("5") else { Issue.record("a 5 without a survey is a message"); return }

            try await SurveyTests.resolve(f, conversation)
            #expect(try await SurveyTests.send(f, conversation) == "queued")
            // As the notification worker renders and sends it: its links made, its message sent.
            try await f.connection.execute("SELECT survey_links(o) FROM outbox o WHERE o.purpose = 'surveys'")
            try await f.connection.execute("UPDATE outbox SET status = 'sent', sent_at = now() WHERE purpose = 'surveys'")
            let messages = try await f.int("SELECT count(*) FROM messages WHERE conversation_id = \(conversation)")

            #expect(try await receive(" ٥ ") == .surveyAnswer(customerID: customer))
            #expect(try await answer() == ["answered", "Optional(5)", "Optional(\"reply\")"])
            #expect(try await receive("４/5") == .surveyAnswer(customerID: customer), "changed while the survey is open")
            #expect(try await answer() == ["answered", "Optional(4)", "Optional(\"reply\")"])
            #expect(try await f.int("SELECT count(*) FROM messages WHERE conversation_id = \(conversation)") == messages, "no message was added")
            #expect(try await f.int("SELECT count(*) FROM inbound_messages WHERE status = 'survey_answer'") == 2)
            #expect(try await f.connection.query("SELECT status FROM conversations WHERE id = \(conversation)").scalar(String.self) == "resolved")

            // Ambiguous: a message, which reopens the conversation; the answer stays.
            for text in ["10/10", "5 stars", "6"] {
                guard case .conversation = try await receive(text) else { Issue.record("\(text) is not an answer"); continue }
            }
            #expect(try await answer() == ["answered", "Optional(4)", "Optional(\"reply\")"])
        }
    }

    @Test("What counts as a bare rating")
    func ratings() async throws {
        try await TestDatabase.withConnection("survey-ratings") { connection, schema in
            try await schema.migrate()
            for (text, rating, of) in [("5", 5, nil), ("5.", 5, nil), ("4 / 5", 4, 5), ("١٠", 10, nil), ("۹/۱۰", 9, 10), ("３", 3, nil),
                                       ("10/10!", 10, 10)] as [(String, Int, Int?)] {
                let row = try #require(try await connection.query("SELECT o_rating, o_of FROM survey_rating_in(\(text))").first)
                #expect(try row.decode(Int?.self, at: 0) == rating && row.decode(Int?.self, at: 1) == of, "\(text)")
            }
            for text in ["5 stars", "order 5", "5 and 4", "", "five", "100", "4/"] {
                #expect(try await connection.query("SELECT o_rating FROM survey_rating_in(\(text))").first?.decode(Int?.self, at: 0) == nil, "\(text)")
            }
        }
    }
}

extension NotifyFixture {
    func int(_ sql: String) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: sql)).scalar(Int.self)
    }
}

@Suite("docs/surveys.md")
struct SurveyDocsTests {
    @Test("docs/surveys.md's queries run as written")
    func documentedExamples() async throws {
        let blocks = try sqlExamples(inDocs: "surveys.md")
        #expect(blocks.count == 2)
        try await NotifyFixture.with("surveys-docs") { f in
            for block in blocks {
                do {
                    _ = try await f.connection.query(PostgresQuery(unsafeSQL: block))
                } catch {
                    Issue.record("docs/surveys.md example failed: \(error)\n\(block)")
                }
            }
            let settings = try #require(try await f.connection.query("""
                SELECT csat_delay::text, sample_percent::text FROM survey_settings_of((SELECT id FROM stores WHERE code = 'default'))
                """).first)
            #expect(try settings.decode(String.self, at: 0) == "1 day" && settings.decode(String.self, at: 1) == "50")
        }
    }
}
