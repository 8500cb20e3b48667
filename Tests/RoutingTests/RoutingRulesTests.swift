import Foundation
import Postgres
import Routing
import Testing
import TestSupport

@Suite("Routing rules and admin tables")
struct RoutingRulesTests {
    @Test("bad admin rows are refused with what is wrong")
    func refusals() async throws {
        try await RoutingFixture.with("rrefuse") { f in
            let team = try await f.generalTeam
            let refusals: [(String, String)] = [
                ("INSERT INTO routing_rules (name, position, channels, team_id) VALUES ('r', 1, '{fax}', \(team))", "unknown channel 'fax'; channels are email, sms"),
                ("INSERT INTO routing_rules (name, position, categories, team_id) VALUES ('r', 1, '{shoes}', \(team))", "unknown category 'shoes'; categories are consultation"),
                ("INSERT INTO routing_rules (name, position, languages, team_id) VALUES ('r', 1, '{English}', \(team))", "language 'English' is not an ISO 639 code"),
                ("INSERT INTO routing_rules (name, position, tiers, team_id) VALUES ('r', 1, '{VIP!}', \(team))", "tier 'VIP!' is not a tier name"),
                ("INSERT INTO routing_rules (name, position, keyword_pattern, team_id) VALUES ('r', 1, '(refund', \(team))", "keyword_pattern '(refund' is not a valid regular expression"),
                ("INSERT INTO routing_rules (name, position, keyword_pattern, team_id) VALUES ('r', 1, '  ', \(team))", "keyword_pattern is empty"),
                ("INSERT INTO routing_rules (name, position, hours, team_id) VALUES ('r', 1, 'open', \(team))", "hours 'open' needs a calendar_id"),
                ("INSERT INTO routing_rules (name, position, hours, team_id) VALUES ('r', 1, 'sometimes', \(team))", "hours must be any, open or closed; got 'sometimes'"),
                ("INSERT INTO routing_rules (name, position, strategy, team_id) VALUES ('r', 1, 'random', \(team))", "unknown strategy 'random'; strategies are round_robin"),
                ("INSERT INTO routing_rules (name, position, priority, team_id) VALUES ('r', 1, 7, \(team))", "priority must be 1 (urgent) to 4 (low)"),
                ("INSERT INTO routing_rules (name, position, team_id) VALUES ('r', 1, 999999)", "is not present in table \"teams\""),
                ("INSERT INTO agent_skills (agent_id, kind, value) SELECT id, 'category', 'shoes' FROM agents LIMIT 1", "unknown category 'shoes'"),
                ("INSERT INTO agent_skills (agent_id, kind, value) SELECT id, 'language', 'English' FROM agents LIMIT 1", "language 'English' is not an ISO 639 code"),
                ("INSERT INTO agent_skills (agent_id, kind, value, level) SELECT id, 'language', 'en', 9 FROM agents LIMIT 1", "agent_skills_level"),
                ("INSERT INTO agent_capacity (agent_id, channel, max_open) SELECT id, 'fax', 3 FROM agents LIMIT 1", "agent_capacity_channel_known"),
                ("INSERT INTO agent_capacity (agent_id, channel, max_open) SELECT id, 'chat', -1 FROM agents LIMIT 1", "agent_capacity_max_open_not_negative"),
                ("INSERT INTO business_calendars (name, time_zone) VALUES ('Mars', 'Mars/Olympus')", "unknown time zone 'Mars/Olympus'"),
                ("INSERT INTO sla_targets (policy_id, priority, first_response) SELECT id, 3, interval '-1 hour' FROM sla_policies LIMIT 1", "sla_targets_first_response_positive"),
                ("UPDATE teams SET default_strategy = 'random'", "teams_default_strategy_known"),
                ("DELETE FROM teams WHERE name = 'General'", "routing_settings"),
            ]
            try await f.agent("Ann")
            for (sql, message) in refusals { await f.expectRefused(sql, message) }

            try await f.execute("INSERT INTO business_calendars (name, time_zone) VALUES ('Kyiv office', 'Europe/Kyiv')")
            try await f.execute("INSERT INTO business_hours SELECT id, 1, '09:00', '18:00' FROM business_calendars")
            await f.expectRefused("INSERT INTO business_hours SELECT id, 1, '17:00', '19:00' FROM business_calendars",
                                  "business hours 17:00:00–19:00:00 on weekday 1 overlap 09:00:00–18:00:00")
            await f.expectRefused("INSERT INTO business_hours SELECT id, 2, '18:00', '09:00' FROM business_calendars",
                                  "business_hours_opens_before_closes")
        }
    }

    @Test("the first enabled matching rule by position wins; every condition kind; the default catches the rest")
    func matching() async throws {
        try await RoutingFixture.with("rmatch") { f in
            let vip = try await f.team("VIP desk", strategy: "least_loaded")
            let ukrainian = try await f.team("Ukrainian")
            let returns = try await f.team("Returns")
            let big = try await f.team("Big orders")
            let refunds = try await f.team("Refund words")
            let night = try await f.team("Night")
            try await f.agent("Ann", teams: [vip, ukrainian, returns, big, refunds, night, try await f.generalTeam],
                              capacity: ["chat": 50, "email": 50, "sms": 50], languages: ["en": 3, "uk": 3])
            // A calendar that is closed right now: today is a holiday.
            try await f.execute("""
                INSERT INTO business_calendars (name, time_zone) VALUES ('Office', 'UTC');
                INSERT INTO business_hours SELECT id, d, '00:00', '23:59:59' FROM business_calendars, generate_series(1, 7) d;
                INSERT INTO business_holidays (calendar_id, day) SELECT id, (now() AT TIME ZONE 'UTC')::date FROM business_calendars;
                """)
            try await f.execute("""
                INSERT INTO routing_rules (name, position, tiers, team_id, strategy, priority) VALUES ('vip', 10, '{vip}', \(vip), 'least_loaded', 1);
                INSERT INTO routing_rules (name, position, languages, channels, team_id) VALUES ('uk chat', 20, '{uk}', '{chat,sms}', \(ukrainian));
                INSERT INTO routing_rules (name, position, categories, team_id) VALUES ('returns', 30, '{returns}', \(returns));
                INSERT INTO routing_rules (name, position, min_order_value, team_id, priority) VALUES ('big', 40, 1000, \(big), 2);
                INSERT INTO routing_rules (name, position, keyword_pattern, team_id) VALUES ('refund words', 50, '\\mrefund', \(refunds));
                INSERT INTO routing_rules (name, position, hours, calendar_id, team_id) SELECT 'after hours', 60, 'closed', id, \(night) FROM business_calendars;
                INSERT INTO routing_rules (name, position, enabled, team_id) VALUES ('disabled catch-all', 5, false, \(returns));
                """)
            func routedTeam(_ id: Int64) async throws -> (String?, Int) {
                let decision = try #require(try await f.route(id))
                let priority = try await f.int("SELECT priority FROM conversations WHERE id = \(id)")
                return (try await f.text("SELECT name FROM teams WHERE id = \(decision.teamID)"), priority)
            }
            let vipCustomer = try await f.customer(tier: "vip")
            #expect(try await routedTeam(try await f.conversation(language: "uk", customer: vipCustomer)) == ("VIP desk", 1))
            #expect(try await routedTeam(try await f.conversation(channel: "sms", language: "uk")) == ("Ukrainian", 3))
            // uk, but on email: the channel condition fails, the category rule matches.
            #expect(try await routedTeam(try await f.conversation(channel: "email", language: "uk", category: "returns")) == ("Returns", 3))
            #expect(try await routedTeam(try await f.conversation(channel: "email", orderTotal: 1500)) == ("Big orders", 2))
            // A rule never lowers the priority ingest found.
            #expect(try await routedTeam(try await f.conversation(channel: "email", priority: 1, orderTotal: 1500)) == ("Big orders", 1))
            #expect(try await routedTeam(try await f.conversation(channel: "email", text: "I want a REFUND please")) == ("Refund words", 3))
            #expect(try await routedTeam(try await f.conversation(channel: "email", text: "Hello")) == ("Night", 3))
            // Open hours now: nothing matches, the default rule routes it to General.
            try await f.execute("DELETE FROM business_holidays")
            let plain = try await f.conversation(channel: "email", text: "Hello")
            #expect(try await routedTeam(plain) == ("General", 3))
            #expect(try await f.text("SELECT rule_name FROM routing_decisions WHERE conversation_id = \(plain)") == "default")

            // A rule change applies to the very next decision.
            try await f.execute("UPDATE routing_rules SET enabled = true WHERE name = 'disabled catch-all'")
            #expect(try await routedTeam(try await f.conversation(channel: "email")) == ("Returns", 3))
        }
    }

    @Test("SLA due times count business hours and skip holidays")
    func businessHours() async throws {
        try await RoutingFixture.with("rhours") { f in
            try await f.execute("""
                INSERT INTO business_calendars (name, time_zone) VALUES ('Kyiv', 'Europe/Kyiv');
                INSERT INTO business_hours SELECT id, d, '09:00', '18:00' FROM business_calendars, generate_series(1, 5) d;
                INSERT INTO business_holidays (calendar_id, day, name) SELECT id, '2026-12-25', 'Christmas' FROM business_calendars;
                """)
            let cases: [(String, String, String)] = [
                // Thursday 17:00 + 2 h: 1 h on Thursday, Friday is a holiday, then Monday 09:00 + 1 h.
                ("2026-12-24 17:00+02", "2 hours", "2026-12-28 10:00:00+02"),
                // Saturday: the clock starts on Monday morning.
                ("2026-11-28 12:00+02", "30 minutes", "2026-11-30 09:30:00+02"),
                ("2026-11-24 10:00+02", "3 hours", "2026-11-24 13:00:00+02"),
            ]
            for (start, duration, expected) in cases {
                let equal = try await f.connection.query("""
                    SELECT business_time_add((SELECT id FROM business_calendars), \(start)::timestamptz, \(duration)::interval) = \(expected)::timestamptz
                    """).scalar(Bool.self)
                #expect(equal, "\(start) + \(duration)")
            }
            let between = try await f.text("""
                SELECT business_time_between((SELECT id FROM business_calendars), '2026-11-27 17:30+02', '2026-11-30 09:30+02')::text
                """)
            #expect(between == "01:00:00")

            // A policy in those hours sets the conversation's due times when it is routed.
            try await f.execute("""
                UPDATE sla_policies SET calendar_id = (SELECT id FROM business_calendars);
                """)
            try await f.agent("Ann")
            let id = try await f.conversation(priority: 2)
            try await f.execute("UPDATE conversations SET created_at = '2026-11-27 17:00+02' WHERE id = \(id)")
            _ = try await f.route(id)
            // Priority 2: first response 2 h, resolution 24 h of open time.
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE id = \(id) AND first_response_due_at = '2026-11-30 10:00+02'") == 1)
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE id = \(id) AND resolution_due_at = '2026-12-02 14:00+02'") == 1)
        }
    }

    @Test("a dry run shows where conversations would go under a disabled rule, and changes nothing")
    func dryRun() async throws {
        try await RoutingFixture.with("rdry") { f in
            let returns = try await f.team("Returns")
            try await f.agent("Ann", teams: [try await f.generalTeam, returns])
            let a = try await f.conversation(category: "returns")
            let b = try await f.conversation(category: "delivery")
            _ = try await f.route(a)
            _ = try await f.route(b)
            let rule = try await f.connection.query("""
                INSERT INTO routing_rules (name, position, categories, team_id, enabled) VALUES ('returns', 1, '{returns}', \(returns), false) RETURNING id
                """).scalar(Int64.self)
            let rows = try await f.connection.query("""
                SELECT conversation_id, current_team, team, changed FROM routing_dry_run(10, ARRAY[\(rule)]::bigint[]) ORDER BY conversation_id
                """).map { row in (try row.decode(Int64.self, at: 0), try row.decode(String?.self, at: 1), try row.decode(String?.self, at: 2), try row.decode(Bool.self, at: 3)) }
            #expect(rows.count == 2)
            #expect(rows[0] == (a, "General", "Returns", true))
            #expect(rows[1] == (b, "General", "General", false))
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE team_id = \(returns)") == 0)
            await f.expectRefused("SELECT * FROM routing_dry_run(0)", "p_last must be at least 1")
        }
    }
}

@Suite("docs/routing.md")
struct RoutingDocsTests {
    @Test("every SQL example in the admin guide runs as-is, in order, on a fresh schema with the teams it names")
    func examplesRun() async throws {
        let blocks = try sqlExamples(inDocs: "routing.md")
        #expect(blocks.count >= 6)
        try await RoutingFixture.with("rdocs") { f in
            for team in ["Returns", "Key accounts", "Payments", "Night shift", "Billing", "Escalations"] { try await f.team(team) }
            for block in blocks {
                do {
                    try await f.execute(block)
                } catch {
                    Issue.record("docs/routing.md example failed: \(error)\n\(block)")
                }
            }
            // The examples left what they describe.
            #expect(try await f.int("SELECT count(*) FROM routing_rules") == 7)
            #expect(try await f.text("SELECT name FROM routing_rules WHERE position = 5") == "Night")
            #expect(try await f.int("SELECT count(*) FROM agent_capacity WHERE agent_id = (SELECT id FROM agents WHERE name = 'Olena')") == 6)
            #expect(try await f.int("SELECT count(*) FROM sla_targets WHERE policy_id = (SELECT id FROM sla_policies WHERE name = 'Office hours')") == 4)
        }
    }
}
