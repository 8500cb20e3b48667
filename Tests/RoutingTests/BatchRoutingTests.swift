import Foundation
import Postgres
import Routing
import Testing
import TestSupport

@Suite("Routing in batches")
struct BatchRoutingTests {
    @Test("a batch decides every conversation exactly as routing each alone would, in the same order: agents, reasons, candidates, SLA, capacity, turns")
    func sameAsAlone() async throws {
        try await RoutingFixture.with("rbatch") { f in
            let rr = try await f.team("RR")
            let ll = try await f.team("LL", strategy: "least_loaded")
            let sk = try await f.team("Skills", strategy: "skills")
            let st = try await f.team("Sticky", strategy: "sticky")
            let mq = try await f.team("Manual", strategy: "manual")
            var agents: [Int64] = []
            for i in 0..<12 {
                let team = [rr, ll, sk, st][i % 4]
                agents.append(try await f.agent("Agent\(i)", status: i % 5 == 4 ? "offline" : "online",
                                                teams: i % 6 == 0 ? [team, try await f.generalTeam] : [team],
                                                capacity: ["chat": 1 + i % 3, "email": 2 + i % 4, "sms": i % 2],
                                                languages: i % 3 == 0 ? ["en": 1 + i % 5] : [["en", "uk", "pl"][i % 3]: 1 + i % 5, "en": 2],
                                                categories: [["returns", "payment", "delivery"][i % 3]: 1 + (i * 7) % 5]))
            }
            try await f.agent("Manny", teams: [mq])
            try await f.execute("""
                INSERT INTO routing_rules (name, position, channels, team_id, strategy) VALUES ('rr chat', 1, '{chat}', \(rr), 'round_robin');
                INSERT INTO routing_rules (name, position, languages, team_id, strategy, require_language, require_skill)
                    VALUES ('skills uk', 2, '{uk}', \(sk), 'skills', true, true);
                INSERT INTO routing_rules (name, position, categories, team_id, strategy) VALUES ('returns', 3, '{returns}', \(st), 'sticky');
                INSERT INTO routing_rules (name, position, categories, team_id, strategy) VALUES ('manual', 4, '{technical}', \(mq), 'manual');
                INSERT INTO routing_rules (name, position, channels, team_id, strategy, priority) VALUES ('email', 5, '{email}', \(ll), 'least_loaded', 2);
                UPDATE routing_settings SET require_language = true;
                """)
            // Customers with a previous agent (sticky), and conversations that had one (reopened).
            var customers: [Int64] = []
            for i in 0..<6 {
                let customer = try await f.customer(tier: i % 3 == 0 ? "vip" : "standard")
                customers.append(customer)
                let earlier = try await f.conversation(channel: "email", category: "returns", customer: customer)
                try await f.execute("""
                    UPDATE conversations SET agent_id = \(agents[[3, 7, 11, 0, 2, 4][i]]), status = 'resolved' WHERE id = \(earlier);
                    UPDATE agent_capacity SET max_open = max_open + 1 WHERE agent_id = \(agents[[3, 7, 11, 0, 2, 4][i]]) AND channel = 'email'
                    """)
            }
            try await f.execute("DELETE FROM jobs")
            var ids: [Int64] = []
            for i in 0..<48 {
                ids.append(try await f.conversation(
                    channel: ["chat", "email", "sms", "chat", "phone"][i % 5], language: ["en", "uk", "pl", "unknown"][i % 4],
                    category: [nil, "returns", "payment", "technical", "delivery", "product", "ordering"][i % 7], priority: 1 + i % 4,
                    customer: i % 3 == 0 ? customers[i % customers.count] : nil))
            }
            // Back to the agent it had before (Agent3 is in the sticky team and speaks English)…
            for _ in 0..<2 {
                let id = try await f.conversation(channel: "email", language: "en", category: "returns")
                try await f.execute("UPDATE conversations SET last_agent_id = \(agents[3]) WHERE id = \(id)")
                ids.append(id)
            }
            // …and to the customer's previous agent (Agent3 and Agent7).
            for customer in customers.prefix(2) {
                ids.append(try await f.conversation(channel: "email", language: "en", category: "returns", customer: customer))
            }
            let idList = ids.map(String.init).joined(separator: ",")

            func outcome() async throws -> [String] {
                let decisions = try await f.connection.query(PostgresQuery(unsafeSQL: """
                    SELECT format('%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s',
                                  d.conversation_id, d.outcome, d.agent_id, d.team_id, d.rule_name, d.strategy, d.reason,
                                  d.candidate_ids, d.candidate_notes, d.candidate_live, d.candidate_max_open,
                                  c.priority, c.agent_id, c.first_response_due_at, c.resolution_due_at, c.sla_policy_id)
                      FROM routing_decisions d JOIN conversations c ON c.id = d.conversation_id
                     WHERE d.conversation_id IN (\(idList)) ORDER BY d.conversation_id
                    """)).map { try $0.decode(String.self, at: 0) }
                let state = try await f.connection.query(PostgresQuery(unsafeSQL: """
                    SELECT concat_ws(' | ', 'capacity', agent_id, channel, live, last_assigned_at IS NOT NULL) FROM agent_capacity
                    UNION ALL SELECT concat_ws(' | ', 'turns', team_id, agent_id, round_robin_turns) FROM team_members
                    ORDER BY 1
                    """)).map { try $0.decode(String.self, at: 0) }
                return decisions + state
            }

            try await f.execute("BEGIN")
            try await f.execute("""
                SELECT route_conversation(c.id) FROM conversations c WHERE c.id IN (\(idList))
                 ORDER BY (routing_match(c)).team_id, (routing_match(c)).priority, c.id
                """)
            let alone = try await outcome()
            try await f.execute("ROLLBACK")

            try await f.execute("BEGIN")
            let routed = try await f.connection.run { [router = f.router, ids] connection in try await router.route(batch: ids, on: connection) }
            let batched = try await outcome()
            try await f.execute("ROLLBACK")

            #expect(routed.count == ids.count)
            #expect(routed.values.allSatisfy { if case .decided = $0 { true } else { false } })
            #expect(alone.count > ids.count)
            #expect(batched == alone)
            // The scenario reaches every kind of decision.
            let reasons = Set(alone.prefix(ids.count).map { $0.components(separatedBy: " | ")[6] })
            for expected in ["round robin: fewest turns in the team", "no eligible agent: waits in the team queue",
                             "manual strategy: waits in the team queue for an agent to take it", "back to the agent it had before",
                             "sticky: the customer's previous agent", "least loaded: lowest share of capacity in use"] {
                #expect(reasons.contains(expected), "no decision '\(expected)' among \(reasons)")
            }
        }
    }

    @Test("a batch defers what another transaction holds (the conversation, the previous agent, a round robin team), skips what needs no routing and reports erased ids")
    func defersSkipsMissing() async throws {
        try await RoutingFixture.with("rbatch2") { f in
            let ann = try await f.agent("Ann")
            try await f.agent("Bob")
            let held = try await f.conversation()
            let assigned = try await f.conversation()
            try await f.execute("UPDATE conversations SET agent_id = \(ann) WHERE id = \(assigned)")
            let returning = try await f.conversation()
            try await f.execute("UPDATE conversations SET last_agent_id = \(ann) WHERE id = \(returning)")
            let fresh = try await f.conversation()
            let rr = try await f.team("RR")
            try await f.agent("Cy", teams: [rr])
            try await f.execute("INSERT INTO routing_rules (name, position, channels, team_id, strategy) VALUES ('rr', 1, '{sms}', \(rr), 'round_robin')")
            let turn = try await f.conversation(channel: "sms")

            let other = try await f.schema.connect()
            try await other.execute("BEGIN")
            try await other.execute("SELECT 1 FROM conversations WHERE id = \(held) FOR UPDATE")
            try await other.execute("SELECT 1 FROM agent_capacity WHERE agent_id = \(ann) AND channel = 'chat' FOR UPDATE")
            // What route_conversation takes while it takes a round-robin turn in the team.
            try await other.execute("SELECT pg_advisory_xact_lock(routing_team_lock_key(\(rr)))")
            let routed = try await f.connection.run { [router = f.router] connection in
                try await router.route(batch: [held, assigned, returning, fresh, turn, 999_999_999], on: connection)
            }
            try await other.execute("ROLLBACK")
            await other.close()

            #expect(routed[held] == .deferred)
            #expect(routed[assigned] == .skipped)
            // Ann's capacity is held elsewhere: the conversation waits for her rather than going to Bob.
            #expect(routed[returning] == .deferred)
            #expect(routed[999_999_999] == .missing)
            // Another transaction takes a round robin turn in the team: wait for it.
            #expect(routed[turn] == .deferred)
            guard case .decided(let decision)? = routed[fresh] else {
                Issue.record("the fresh conversation was not decided: \(String(describing: routed[fresh]))")
                return
            }
            #expect(decision.outcome == .assigned && decision.agentID != ann)
            #expect(try await f.int("SELECT count(*) FROM routing_decisions WHERE conversation_id IN (\(held), \(assigned), \(returning))") == 0)

            // Alone, routing waits; with nothing held now the deferred ones are decided.
            let again = try await f.connection.run { [router = f.router] connection in try await router.route(batch: [held, returning], on: connection) }
            guard case .decided(let back)? = again[returning] else {
                Issue.record("not decided: \(String(describing: again[returning]))")
                return
            }
            #expect(back.agentID == ann && back.reason == "back to the agent it had before")
            if case .decided = again[held] {} else { Issue.record("held conversation not decided: \(String(describing: again[held]))") }
        }
    }
}
