import EmailParsing
import Foundation
import Helpdesk
import JobQueue
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
                #expect(try await f.int("SELECT count(*) FROM outbox WHERE purpose = 'surveys' AND status = 'sent' AND kind = 'survey_csat'") == 1)
            } catch { failure = error }
            running.cancel()
            _ = try? await running.value
            if let failure { throw failure }
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
