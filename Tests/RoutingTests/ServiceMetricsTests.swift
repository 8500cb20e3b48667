import Foundation
import Postgres
import Reports
import SampleData
import Testing
import TestSupport

/// Service metrics on hand-built conversations whose figures are worked out by hand: a Kyiv
/// office open Monday to Friday 09:00–18:00, closed on 1 April 2026; the clocks went forward
/// on Sunday 29 March (UTC+2 to UTC+3).
@Suite("Service metrics: first response, resolution, requester wait, FCR, reopens, bot deflection, SLA, backlog")
struct ServiceMetricsTests {
    /// The five conversations of the scenario; returns their ids, A to E.
    static func scenario(_ f: RoutingFixture) async throws -> [String: Int64] {
        try await f.execute("""
            INSERT INTO business_calendars (name, time_zone) VALUES ('Kyiv office', 'Europe/Kyiv');
            INSERT INTO business_hours (calendar_id, weekday, opens, closes)
            SELECT (SELECT id FROM business_calendars WHERE name = 'Kyiv office'), d, '09:00', '18:00' FROM generate_series(1, 5) d;
            INSERT INTO business_holidays (calendar_id, day, name)
            VALUES ((SELECT id FROM business_calendars WHERE name = 'Kyiv office'), '2026-04-01', 'Office closed');
            UPDATE stores SET time_zone = 'Europe/Kyiv' WHERE code = 'default';
            """)
        let customer = try await f.connection.query("INSERT INTO customers (store_id, name) VALUES (1, 'Олена') RETURNING id").scalar(Int64.self)
        var ids: [String: Int64] = [:]
        // (name, channel, language, created, resolved, reopens, first response due, resolution due, messages as (author, at))
        let conversations: [(String, String, String, String, String?, Int, String?, String?, [(String, String)])] = [
            // A: Friday 17:00 Kyiv, answered Monday 10:00 (across the weekend and the clock change), resolved 11:00.
            ("A", "email", "uk", "2026-03-27 15:00Z", "2026-03-30 08:00Z", 0, "2026-03-30 08:00Z", "2026-03-30 07:30Z",
             [("customer", "2026-03-27 15:00Z"), ("agent", "2026-03-30 07:00Z")]),
            // B: Tuesday 17:30, the holiday, answered Thursday 09:30; the customer writes again at 10:00, answered at 11:00.
            ("B", "sms", "ru", "2026-03-31 14:30Z", "2026-04-02 09:00Z", 0, "2026-04-01 14:30Z", nil,
             [("customer", "2026-03-31 14:30Z"), ("agent", "2026-04-02 06:30Z"), ("customer", "2026-04-02 07:00Z"), ("agent", "2026-04-02 08:00Z")]),
            // C: Monday 09:00, answered in ten minutes, reopened once.
            ("C", "chat", "en", "2026-03-30 06:00Z", "2026-03-30 09:00Z", 1, nil, nil,
             [("customer", "2026-03-30 06:00Z"), ("agent", "2026-03-30 06:10Z")]),
            // D: answered by the bot in two seconds, resolved without an agent.
            ("D", "chat", "en", "2026-03-30 06:00Z", "2026-03-30 06:05Z", 0, nil, nil,
             [("customer", "2026-03-30 06:00Z"), ("bot", "2026-03-30 06:00:02Z")]),
            // E: on the holiday, never answered.
            ("E", "email", "uk", "2026-04-01 10:00Z", nil, 0, nil, nil, [("customer", "2026-04-01 10:00Z")]),
        ]
        for (name, channel, language, created, resolved, reopens, firstDue, resolutionDue, messages) in conversations {
            let id = try await f.connection.query("""
                INSERT INTO conversations (store_id, customer_id, channel, language, status, created_at, resolved_at, reopen_count,
                                           first_response_due_at, resolution_due_at)
                VALUES (1, \(customer), \(channel), \(language), \(resolved == nil ? "open" : "resolved"), \(created)::timestamptz,
                        \(resolved)::timestamptz, \(reopens), \(firstDue)::timestamptz, \(resolutionDue)::timestamptz)
                RETURNING id
                """).scalar(Int64.self)
            for (author, at) in messages {
                try await f.connection.execute("""
                    INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text, created_at)
                    VALUES (1, \(id), \(author == "customer" ? "inbound" : "outbound"), \(author), \(channel), 'text', \(at)::timestamptz)
                    """)
            }
            ids[name] = id
        }
        try await f.execute("UPDATE stores SET report_calendar_id = (SELECT id FROM business_calendars WHERE name = 'Kyiv office')")
        return ids
    }

    struct Facts: Equatable {
        var firstResponse: Double?, firstResponseBusiness: Double?, firstBot: Double?
        var resolution: Double?, resolutionBusiness: Double?, wait: Double?, waitBusiness: Double?
        var fcr: Bool, reopened: Bool, deflected: Bool, firstSLA: Bool?, resolutionSLA: Bool?
    }

    static func facts(_ f: RoutingFixture, _ id: Int64) async throws -> Facts {
        let row = try #require(try await f.connection.query("""
            SELECT first_response_s, first_response_business_s, first_bot_response_s, resolution_s, resolution_business_s,
                   requester_wait_s, requester_wait_business_s, first_contact_resolved, reopened, bot_deflected,
                   first_response_sla_met, resolution_sla_met
              FROM conversation_facts WHERE conversation_id = \(id)
            """).first)
        return Facts(firstResponse: try row.decode(Double?.self, at: 0), firstResponseBusiness: try row.decode(Double?.self, at: 1),
                     firstBot: try row.decode(Double?.self, at: 2), resolution: try row.decode(Double?.self, at: 3),
                     resolutionBusiness: try row.decode(Double?.self, at: 4), wait: try row.decode(Double?.self, at: 5),
                     waitBusiness: try row.decode(Double?.self, at: 6), fcr: try row.decode(Bool.self, at: 7),
                     reopened: try row.decode(Bool.self, at: 8), deflected: try row.decode(Bool.self, at: 9),
                     firstSLA: try row.decode(Bool?.self, at: 10), resolutionSLA: try row.decode(Bool?.self, at: 11))
    }

    static let hour = 3600.0

    @Test("Each conversation's figures, in calendar and business time, across a weekend, a holiday and a clock change")
    func perConversation() async throws {
        try await RoutingFixture.with("metrics") { f in
            let ids = try await Self.scenario(f)
            let h = Self.hour
            // A: 64 h by the calendar (Fri 17:00 +02 to Mon 10:00 +03), 2 open hours (Fri 17–18, Mon 9–10).
            #expect(try await Self.facts(f, ids["A"]!) == Facts(
                firstResponse: 64 * h, firstResponseBusiness: 2 * h, firstBot: nil, resolution: 65 * h, resolutionBusiness: 3 * h,
                wait: 64 * h, waitBusiness: 2 * h, fcr: true, reopened: false, deflected: false, firstSLA: true, resolutionSLA: false))
            // B: 40 h, of them half an hour on Tuesday and half on Thursday (Wednesday is a holiday); two waits.
            #expect(try await Self.facts(f, ids["B"]!) == Facts(
                firstResponse: 40 * h, firstResponseBusiness: 1 * h, firstBot: nil, resolution: 42.5 * h, resolutionBusiness: 3.5 * h,
                wait: 41 * h, waitBusiness: 2 * h, fcr: false, reopened: false, deflected: false, firstSLA: false, resolutionSLA: nil))
            #expect(try await Self.facts(f, ids["C"]!) == Facts(
                firstResponse: 600, firstResponseBusiness: 600, firstBot: nil, resolution: 3 * h, resolutionBusiness: 3 * h,
                wait: 600, waitBusiness: 600, fcr: false, reopened: true, deflected: false, firstSLA: nil, resolutionSLA: nil))
            // D: the bot's answer is reported apart, and is no first response; a wait ends only with a human.
            #expect(try await Self.facts(f, ids["D"]!) == Facts(
                firstResponse: nil, firstResponseBusiness: nil, firstBot: 2, resolution: 300, resolutionBusiness: 300,
                wait: 300, waitBusiness: 300, fcr: true, reopened: false, deflected: true, firstSLA: nil, resolutionSLA: nil))
            #expect(try await Self.facts(f, ids["E"]!) == Facts(
                firstResponse: nil, firstResponseBusiness: nil, firstBot: nil, resolution: nil, resolutionBusiness: nil,
                wait: nil, waitBusiness: nil, fcr: false, reopened: false, deflected: false, firstSLA: nil, resolutionSLA: nil))
            // Days are the store's (Kyiv): E at 10:00 UTC began on 1 April there.
            let days = try await f.connection.query("SELECT day::text FROM conversation_facts ORDER BY conversation_id").map { try $0.decode(String.self, at: 0) }
            #expect(days == ["2026-03-27", "2026-03-31", "2026-03-30", "2026-03-30", "2026-04-01"])
        }
    }

    @Test("The period's headline and the daily sums agree with a straightforward query over the conversations; the backlog day by day")
    func aggregates() async throws {
        try await RoutingFixture.with("metrics-sum") { f in
            _ = try await Self.scenario(f)
            let row = try #require(try await f.connection.query("SELECT * FROM service_metrics('2026-03-01', '2026-05-01', 'default')").first)
            #expect(try row.decode(Int.self, "conversations") == 5)
            #expect(try row.decode(Double?.self, "first_response_mean_s") == (64 + 40) * Self.hour / 3 + 200)
            #expect(try row.decode(Double?.self, "first_response_business_mean_s") == 3800)
            #expect(try row.decode(Double?.self, "first_bot_response_mean_s") == 2)
            #expect(try row.decode(Double?.self, "first_contact_resolution") == 0.5, "A and D of the four resolved")
            #expect(try row.decode(Double?.self, "reopen_rate") == 0.25)
            #expect(try row.decode(Double?.self, "bot_deflection") == 0.25)
            #expect(try row.decode(Double?.self, "first_response_sla_attainment") == 0.5)
            #expect(try row.decode(Double?.self, "resolution_sla_attainment") == 0)
            // Outside the period, nothing; another store, nothing.
            #expect(try await f.int("SELECT conversations FROM service_metrics('2026-04-02', '2026-05-01')") == 0)

            // The daily rows, grouped any way, sum to what the conversations give directly.
            let direct = try await f.connection.query("""
                SELECT channel, count(*), avg(resolution_s)::float8, avg(requester_wait_business_s)::float8 FROM conversation_facts GROUP BY 1 ORDER BY 1
                """).map { [try $0.decode(String.self, at: 0), String(try $0.decode(Int.self, at: 1)),
                            String(describing: try $0.decode(Double?.self, at: 2)), String(describing: try $0.decode(Double?.self, at: 3))] }
            let summed = try await f.connection.query("""
                SELECT channel, sum(conversations)::int8, (sum(resolution_s_sum) / nullif(sum(resolved), 0))::float8,
                       (sum(requester_wait_business_s_sum) / nullif(sum(resolved), 0))::float8
                  FROM service_metrics_daily GROUP BY 1 ORDER BY 1
                """).map { [try $0.decode(String.self, at: 0), String(try $0.decode(Int.self, at: 1)),
                            String(describing: try $0.decode(Double?.self, at: 2)), String(describing: try $0.decode(Double?.self, at: 3))] }
            #expect(summed == direct)

            let backlog = try await f.connection.query("""
                SELECT unresolved FROM service_backlog(1, '2026-03-27', '2026-04-02')
                """).map { try $0.decode(Int.self, at: 0) }
            #expect(backlog == [1, 1, 1, 0, 1, 2, 1])
        }
    }

    @Test("docs/metrics.md's queries run as written")
    func documentedExamples() async throws {
        let blocks = try sqlExamples(inDocs: "metrics.md")
        #expect(blocks.count == 8)
        try await RoutingFixture.with("metrics-docs") { f in
            _ = try await Self.scenario(f)
            try await f.execute("UPDATE stores SET report_calendar_id = NULL")
            for block in blocks {
                do {
                    _ = try await f.connection.query(PostgresQuery(unsafeSQL: block))
                } catch {
                    Issue.record("docs/metrics.md example failed: \(error)\n\(block)")
                }
            }
            // The first example set the calendar the others count in.
            let headline = try #require(try await f.connection.query(PostgresQuery(unsafeSQL: blocks[3])).first)
            #expect(try headline.decode(Int.self, "conversations") == 5)
            #expect(try headline.decode(String.self, "frt_business_hours") == "1.06")
            // The refresh example took every mark, so the kept rows are whole.
            #expect(try await f.int("SELECT count(*)::int FROM service_facts_stale") == 0)
            #expect(try await Self.drift(f) == 0)
        }
    }

    @Test("Survey scores: CSAT is the share of 4–5, NPS promoters minus detractors, CES the mean; response rates count what reached the customer")
    func surveyScores() async throws {
        try await RoutingFixture.with("metrics-surveys") { f in
            let customer = try await f.connection.query("INSERT INTO customers (store_id, name) VALUES (1, 'C') RETURNING id").scalar(Int64.self)
            // (kind, rating or nil, what became of its message)
            let surveys: [(String, Int?, String)] = [
                ("csat", 5, "sent"), ("csat", 4, "sent"), ("csat", 3, "sent"), ("csat", 1, "sent"), ("csat", nil, "sent"),
                ("csat", nil, "suppressed"),
                ("nps", 10, "sent"), ("nps", 9, "sent"), ("nps", 8, "sent"), ("nps", 6, "sent"), ("nps", 0, "sent"), ("nps", 10, "sent"),
                ("ces", 2, "sent"), ("ces", 3, "sent"), ("ces", 7, "sent"), ("ces", nil, "sent"),
            ]
            for (index, (kind, rating, outcome)) in surveys.enumerated() {
                let outbox = try await f.connection.query("""
                    INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key, status)
                    VALUES (1, \(customer), 'survey_' || \(kind), 'surveys', 'email', 'en', 'How did we do?', \("s\(index)"), \(outcome))
                    RETURNING id
                    """).scalar(Int64.self)
                try await f.connection.execute("""
                    INSERT INTO surveys (store_id, customer_id, kind, status, due_at, outbox_id, queued_at, rating, answered_at, answer_source)
                    VALUES (1, \(customer), \(kind), \(rating == nil ? "queued" : "answered"), '2026-03-10 12:00Z', \(outbox),
                            '2026-03-10 12:00Z', \(rating), CASE WHEN \(rating)::int IS NOT NULL THEN now() END,
                            CASE WHEN \(rating)::int IS NOT NULL THEN 'link' END)
                    """)
            }
            let row = try #require(try await f.connection.query("SELECT * FROM survey_scores('2026-03-01', '2026-04-01', 'default')").first)
            #expect(try row.decode(Double?.self, "csat") == 50, "5 and 4 of four answers")
            #expect(try row.decode(Int.self, "csat_answers") == 4)
            #expect(try row.decode(Double?.self, "csat_response_rate") == 0.8, "four answers of five delivered; the suppressed one never reached")
            let nps = try #require(try row.decode(Double?.self, "nps"))
            #expect(abs(nps - 100.0 / 6) < 1e-9, "three promoters and two detractors of six: \(nps)")
            #expect(try row.decode(Double?.self, "ces") == 4)
            #expect(try row.decode(Double?.self, "ces_response_rate") == 0.75)
            #expect(try await f.int("SELECT csat_answers::int FROM survey_scores('2026-04-01', '2026-05-01')") == 0)
        }
    }

    @Test("The report reads the same figures as the SQL, a day per row, and renders as HTML with SVG charts, CSV and JSON")
    func report() async throws {
        try await RoutingFixture.with("metrics-report") { f in
            _ = try await Self.scenario(f)
            let report = try await f.connection.run { connection in
                try ServiceReport.read(from: "2026-03-27", to: "2026-04-03", store: "default", on: connection)
            }
            #expect(report.headline.conversations == 5)
            #expect(report.headline.firstResponseBusinessHours == 3800.0 / 3600)
            #expect(report.headline.firstContactResolution == 50 && report.headline.reopenRate == 25)
            #expect(report.days.map(\.day) == ["2026-03-27", "2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31", "2026-04-01", "2026-04-02"])
            #expect(report.days.map(\.unresolved) == [1, 1, 1, 0, 1, 2, 1], "as service_backlog gives")
            #expect(report.days.map(\.conversations) == [1, 0, 0, 2, 1, 1, 0])
            #expect(abs((report.days[0].firstResponseMinutes ?? 0) - 64 * 60) < 1e-6)

            let html = try ReportRenderer.render(report, as: .html)
            #expect(html.contains("<h1>Service report</h1>") && html.contains("<svg") && !html.lowercased().contains("<script"))
            #expect(html.contains("2026-03-27 to 2026-04-03"))
            let csv = try ReportRenderer.render(report, as: .csv).split(separator: "\n")
            #expect(csv.count == 8 && csv[0] == "day,conversations,first_response_minutes,csat,nps,unresolved")
            #expect(csv[1] == "2026-03-27,1,3840.00,,,1")
            let json = try JSONSerialization.jsonObject(with: Data(try ReportRenderer.render(report, as: .json).utf8)) as? [String: Any]
            #expect((json?["headline"] as? [String: Any])?["conversations"] as? Int == 5)
            #expect(throws: ReportError.self) { try ReportPeriod.resolve(from: "2026-13-01", to: nil) }

            // In the admin's language: Ukrainian words and numbers, Arabic right to left.
            let ukrainian = try ReportRenderer.render(report, as: .html, text: .language("uk_UA.UTF-8"))
            #expect(ukrainian.contains(#"<html lang="uk" dir="ltr">"#) && ukrainian.contains("<h1>Звіт про обслуговування</h1>"))
            #expect(ukrainian.contains("з 2026-03-27 до 2026-04-03") && ukrainian.contains("<h2>Агенти</h2>"))
            #expect(ukrainian.contains("50 %") && ukrainian.contains("1,1 год"), "FRT in business hours, 3800 s, with a decimal comma")
            #expect(!ukrainian.contains("Service report") && !ukrainian.contains("first response"))
            let arabic = try ReportRenderer.render(report, as: .html, text: .accepting("fr-CH, fr;q=0.9, ar;q=0.8, en;q=0.7"))
            #expect(arabic.contains(#"<html lang="ar" dir="rtl">"#) && arabic.contains(#"<div class="report" lang="ar" dir="rtl">"#))
            #expect(arabic.contains("تقرير خدمة العملاء"))
            #expect(ReportText.accepting("de-DE, de;q=0.9").code == "en" && ReportText.accepting("pl;q=0.5, zh-CN").code == "zh")
            #expect(ReportText.accepting("uk;q=0, ru").code == "ru" && ReportText.environment(["LANG": "pl_PL.UTF-8"]).code == "pl")
            #expect(ReportText.environment(["LC_ALL": "", "LANG": "C.UTF-8"]).code == "en")
        }
    }

    /// Rows of the kept facts that differ from conversation_facts, both ways.
    static func drift(_ f: RoutingFixture, kept: String = "service_facts") async throws -> Int {
        try await f.int("""
            SELECT count(*)::int FROM ((SELECT * FROM \(kept) EXCEPT ALL SELECT * FROM conversation_facts)
                                 UNION ALL (SELECT * FROM conversation_facts EXCEPT ALL SELECT * FROM \(kept))) d
            """)
    }

    static func refreshAll(_ f: RoutingFixture) async throws {
        while try await f.int("SELECT service_facts_refresh(700)") > 0 {}
    }

    @Test("On a generated history the kept facts equal conversation_facts, before and after a refresh, through new messages, reopens, calendar and time-zone changes; the report equals the straightforward query")
    func keptFacts() async throws {
        try await RoutingFixture.with("metrics-kept") { f in
            try await f.connection.run { connection in
                try ServiceHistory.generate(conversations: 3_000, days: 60, end: "2026-04-15", on: connection)
            }
            // Nothing refreshed yet: every conversation is read live, and still equal.
            #expect(try await f.int("SELECT count(*)::int FROM service_facts") == 0)
            #expect(try await Self.drift(f, kept: "service_facts_current") == 0)
            try await Self.refreshAll(f)
            #expect(try await f.int("SELECT count(*)::int FROM service_facts") == 3_000)
            #expect(try await f.int("SELECT count(*)::int FROM service_facts_stale") == 0)
            #expect(try await Self.drift(f) == 0)

            // Changes after the refresh: the kept rows fall behind, the current view does not.
            try await f.execute("""
                INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text, created_at)
                SELECT store_id, id, 'outbound', 'agent', channel, 'Late reply', created_at + interval '10 minutes'
                  FROM conversations WHERE id % 50 = 1;
                UPDATE conversations SET status = 'open', resolved_at = NULL, reopen_count = reopen_count + 1 WHERE id % 97 = 2;
                UPDATE conversations SET last_customer_message_at = now() WHERE id % 89 = 3;
                UPDATE messages SET email_message_id = 'kept.' || id || '@example.test' WHERE conversation_id % 83 = 4;
                UPDATE messages SET created_at = created_at - interval '5 minutes' WHERE conversation_id % 79 = 5 AND direction = 'outbound';
                """)
            #expect(try await Self.drift(f) > 0)
            #expect(try await Self.drift(f, kept: "service_facts_current") == 0)
            let marked = try await f.int("SELECT count(DISTINCT conversation_id)::int FROM service_facts_stale")
            #expect(marked == (try await f.int("""
                SELECT count(*)::int FROM conversations c
                 WHERE id % 50 = 1 OR id % 97 = 2
                    OR (id % 79 = 5 AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'outbound'))
                """)), "a counter update, or a message's Message-ID, alone marks nothing")
            try await Self.refreshAll(f)
            #expect(try await Self.drift(f) == 0)

            // A holiday added to the report calendar, and the outlet's time zone, move figures of many conversations.
            try await f.execute("""
                INSERT INTO business_holidays (calendar_id, day, name)
                SELECT id, '2026-03-20', 'Extra day off' FROM business_calendars WHERE name = 'History office';
                UPDATE stores SET time_zone = 'America/New_York' WHERE code = 'outlet';
                """)
            #expect(try await Self.drift(f) > 0)
            #expect(try await Self.drift(f, kept: "service_facts_current") == 0)
            try await Self.refreshAll(f)
            #expect(try await Self.drift(f) == 0)

            // The backlog read as open-then plus begun minus resolved equals counting each day's end.
            for store in ["default", "outlet"] {
                let counted = try await f.connection.query("""
                    SELECT (SELECT count(*) FROM conversations c
                             WHERE c.store_id = s.id AND c.created_at < ((d + 1)::timestamp AT TIME ZONE s.time_zone)
                               AND (c.resolved_at IS NULL OR c.resolved_at >= ((d + 1)::timestamp AT TIME ZONE s.time_zone)))::int
                      FROM stores s, generate_series('2026-03-01'::date, '2026-03-31'::date, interval '1 day') g, LATERAL (SELECT g::date AS d) x
                     WHERE s.code = \(store) ORDER BY d
                    """).map { try $0.decode(Int.self, at: 0) }
                let backlog = try await f.connection.query("""
                    SELECT unresolved::int FROM service_backlog((SELECT id FROM stores WHERE code = \(store)), '2026-03-01', '2026-03-31')
                    """).map { try $0.decode(Int.self, at: 0) }
                #expect(backlog == counted && counted.count == 31 && counted.contains { $0 > 0 }, "\(store)")
            }

            // A month's report, every store and one: the kept facts give what recomputing gives.
            for store in [nil, "default"] as [String?] {
                let (kept, recomputed) = try await f.connection.run { connection in
                    (try ServiceReport.read(from: "2026-03-01", to: "2026-04-01", store: store, on: connection),
                     try ServiceReport.read(from: "2026-03-01", to: "2026-04-01", store: store, recompute: true, on: connection))
                }
                #expect(kept.headline.conversations > 1_000 && kept.agents.count == 30 && kept.teams.count == 6)
                #expect(ServiceReport.sameFigures(kept, recomputed))
            }
        }
    }

    @Test("A change committed while a refresh runs keeps its mark for the next one; two refreshes never run at once")
    func refreshRace() async throws {
        try await RoutingFixture.with("metrics-race") { f in
            try await f.connection.run { connection in
                try ServiceHistory.generate(conversations: 200, days: 10, end: "2026-04-15", on: connection)
            }
            try await Self.refreshAll(f)
            let conversation = try await f.connection.query("SELECT min(id) FROM conversations WHERE resolved_at IS NOT NULL").scalar(Int64.self)
            let writer = try await f.schema.connect()
            let other = try await f.schema.connect()
            do {
                // A reply written but not committed when the refresh reads.
                try await writer.execute("BEGIN")
                try await writer.execute("""
                    INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text, created_at)
                    SELECT store_id, id, 'outbound', 'agent', channel, 'One more thing', created_at + interval '1 minute'
                      FROM conversations WHERE id = \(conversation)
                    """)
                #expect(try await f.int("SELECT service_facts_refresh(1000)") == 0, "the uncommitted mark is not seen")
                try await writer.execute("COMMIT")
                #expect(try await Self.drift(f) == 2, "the kept row is behind by that reply: its old version one way, the new one the other")
                #expect(try await Self.drift(f, kept: "service_facts_current") == 0)
                #expect(try await f.int("SELECT count(*)::int FROM service_facts_stale WHERE conversation_id = \(conversation)") == 1)

                // While one refresh holds its lock, another takes nothing and says so with 0.
                try await other.execute("BEGIN")
                #expect(try await other.query("SELECT service_facts_refresh(1000)").scalar(Int.self) == 1)
                #expect(try await f.int("SELECT service_facts_refresh(1000)") == 0)
                try await other.execute("COMMIT")
                #expect(try await Self.drift(f) == 0)
                #expect(try await f.int("SELECT count(*)::int FROM service_facts_stale") == 0)
            } catch {
                await writer.close()
                await other.close()
                throw error
            }
            await writer.close()
            await other.close()
        }
    }
}
