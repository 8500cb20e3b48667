import Foundation
import Postgres
import Routing
import ServiceLifecycle
import Testing
import TestSupport

@Suite("Agent desk API, SLA and live reactions")
struct DeskAndSLATests {
    @Test("reply, resolve, reopen and transfer do their work and refuse bad calls with a clear error")
    func deskAPI() async throws {
        try await RoutingFixture.with("rdesk") { f in
            let billing = try await f.team("Billing")
            let ann = try await f.agent("Ann")
            let bob = try await f.agent("Bob", teams: [billing])
            let cid = try await f.agent("Cid", status: "offline", teams: [billing])
            let id = try await f.conversation(channel: "email", language: "uk")
            try await f.execute("UPDATE agent_skills SET value = 'uk' WHERE agent_id IN (\(ann), \(bob))")
            #expect(try #require(try await f.route(id)).agentID == ann)

            await f.expectRefused("SELECT reply_to_conversation(\(id), \(bob), 'Hi')", "is assigned to agent \(ann), not \(bob)")
            await f.expectRefused("SELECT reply_to_conversation(\(id), \(ann), '  ')", "a reply needs a body")
            await f.expectRefused("SELECT reply_to_conversation(987654, \(ann), 'Hi')", "no conversation 987654")
            await f.expectRefused("SELECT reply_to_conversation(\(id), 987654, 'Hi')", "no agent 987654")
            let message = try await f.int("SELECT reply_to_conversation(\(id), \(ann), 'Вашу посилку вже відправлено.')")
            #expect(try await f.text("SELECT status FROM conversations WHERE id = \(id)") == "pending")
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE id = \(id) AND first_response_at IS NOT NULL") == 1)
            #expect(try await f.text("""
                SELECT kind || ' ' || channel || ' ' || locale FROM outbox WHERE message_id = \(message) AND idempotency_key = 'reply:\(message)'
                """) == "reply email uk")
            // The customer writes again: the next-response clock starts.
            try await f.execute("UPDATE conversations SET status = 'open', last_customer_message_at = now() WHERE id = \(id)")
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE id = \(id) AND next_response_due_at > now()") == 1)

            await f.expectRefused("SELECT transfer_conversation(\(id))", "needs a team, an agent or both")
            await f.expectRefused("SELECT transfer_conversation(\(id), p_agent_id => \(bob))", "is not a member of team General")
            await f.expectRefused("SELECT transfer_conversation(\(id), \(billing), \(cid))", "(Cid) is offline")
            await f.expectRefused("SELECT transfer_conversation(\(id), 987654)", "no team 987654")
            try await f.execute("SELECT transfer_conversation(\(id), \(billing))")
            #expect(try await f.agentOf(id) == nil)
            // Transferred to a team: routing keeps the team and picks the agent there.
            let moved = try #require(try await f.route(id))
            #expect(moved.agentID == bob && moved.teamID == billing)
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE id = \(id) AND last_agent_id = \(ann) AND team_pinned") == 1)

            try await f.execute("SELECT resolve_conversation(\(id), \(bob))")
            await f.expectRefused("SELECT resolve_conversation(\(id))", "is already resolved")
            await f.expectRefused("SELECT transfer_conversation(\(id), \(billing))", "reopen it before transferring")
            #expect(try await f.int("SELECT live FROM agent_capacity WHERE agent_id = \(bob) AND channel = 'email'") == 0)
            try await f.execute("SELECT reopen_conversation(\(id), 'customer called back')")
            await f.expectRefused("SELECT reopen_conversation(\(id))", "only a resolved conversation can be reopened")
            #expect(try await f.int("SELECT reopen_count FROM conversations WHERE id = \(id)") == 1)
            await f.expectRefused("SELECT set_agent_status(\(ann), 'busy')", "agent status must be online, away or offline; got 'busy'")
        }
    }

    @Test("the SLA check marks breaches once, raises priority, moves to the escalation team and alerts the supervisor; attainment per team")
    func slaBreaches() async throws {
        try await RoutingFixture.with("rsla") { f in
            let escalation = try await f.team("Escalations")
            try await f.execute("UPDATE teams SET supervisor_email = 'lead@shop.test' WHERE id = \(escalation)")
            try await f.execute("UPDATE sla_policies SET escalation_team_id = \(escalation)")
            let ann = try await f.agent("Ann")
            let lead = try await f.agent("Lead", teams: [escalation])
            let late = try await f.conversation(channel: "email")
            let fine = try await f.conversation(channel: "email")
            _ = try await f.route(late)
            _ = try await f.route(fine)
            try await f.execute("UPDATE conversations SET first_response_due_at = now() - interval '1 minute' WHERE id = \(late)")
            try await f.execute("SELECT reply_to_conversation(\(fine), agent_id, 'Answer') FROM conversations WHERE id = \(fine)")

            let marked = try await f.connection.run { connection in try await Router().checkSLA(on: connection) }
            #expect(marked == 1)
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE id = \(late) AND first_response_breached_at IS NOT NULL AND priority = 2 AND team_id = \(escalation) AND agent_id IS NULL") == 1)
            #expect(try await f.text("SELECT recipient FROM outbox WHERE kind = 'sla_alert' AND conversation_id = \(late)") == "lead@shop.test")
            #expect(try await f.text("SELECT reason FROM routing_decisions WHERE conversation_id = \(late) AND cause = 'escalation'")?.contains("first_response target missed") == true)
            // Routed again within the escalation team.
            #expect(try #require(try await f.route(late)).agentID == lead)
            _ = ann
            // Marked once only.
            #expect(try await f.connection.run { connection in try await Router().checkSLA(on: connection) } == 0)
            #expect(try await f.int("SELECT count(*) FROM outbox WHERE kind = 'sla_alert'") == 1)

            let rows = try await f.connection.query("""
                SELECT team, met, breached, attainment_pct::text FROM sla_attainment WHERE target = 'first_response' ORDER BY team
                """).map { row in "\(try row.decode(String.self, at: 0)) \(try row.decode(Int.self, at: 1)) \(try row.decode(Int.self, at: 2)) \(try row.decode(String?.self, at: 3) ?? "-")" }
            #expect(rows == ["Escalations 0 1 0.0", "General 1 0 100.0"])
        }
    }

    @Test("a running routing service reacts at once: an agent coming online gets what waits; a rule change re-routes waiting conversations",
          .disabled(if: TestDatabase.throughPgBouncer, "reacting at once is LISTEN's; through a transaction pooler the sweep does it"))
    func liveReactions() async throws {
        try await RoutingFixture.with("rlive") { f in
            let pool = PostgresPool(configuration: f.schema.configuration, options: PostgresPoolOptions(maxConnections: 2))
            // A long sweep: only the notifications can explain a quick reaction.
            let reactions = RoutingReactions(configuration: f.schema.configuration, pool: pool, sweepInterval: .seconds(600))
            let ann = try await f.agent("Ann", status: "offline")
            let waiting = try await f.conversation(channel: "chat")
            #expect(try #require(try await f.route(waiting)).outcome == .queued)
            // A probe for readiness: the service's first pass, which runs once its LISTEN is in
            // place, gives this email to the only agent with email room. (A fixed sleep was too
            // short on a busy machine: a notification sent before the LISTEN is lost.)
            let probe = try await f.agent("Probe", status: "offline", capacity: ["email": 1])
            let probed = try await f.conversation(channel: "email")
            #expect(try #require(try await f.route(probed)).outcome == .queued)
            try await f.execute("UPDATE agents SET status = 'online' WHERE id = \(probe)")
            let group = ServiceGroup(services: [reactions], logger: .init(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await Self.eventually { try await f.agentOf(probed) == probe })
                try await f.execute("SELECT set_agent_status(\(ann), 'online')")
                #expect(try await Self.eventually { try await f.agentOf(waiting) == ann })

                // A rule change: the waiting conversation is routed again under the new rule.
                let vip = try await f.team("VIP")
                try await f.execute("UPDATE agent_capacity SET max_open = 1 WHERE agent_id = \(ann)")
                let second = try await f.conversation(channel: "chat")
                #expect(try #require(try await f.route(second)).outcome == .queued)
                try await f.execute("INSERT INTO routing_rules (name, position, channels, team_id) VALUES ('chat to vip', 1, '{chat}', \(vip))")
                #expect(try await Self.eventually {
                    try await f.int("SELECT count(*) FROM jobs WHERE kind = 'route' AND state = 'available' AND args->>'conversation_id' = '\(second)'") == 1
                })
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await pool.shutdown()
        }
    }

    @Test("the sweep gives waiting conversations to agents with room on their channel, one sweep at a time")
    func sweep() async throws {
        try await RoutingFixture.with("rsweep") { f in
            let ann = try await f.agent("Ann", status: "offline", capacity: ["chat": 1, "email": 12])
            let firstChat = try await f.conversation(channel: "chat")
            let secondChat = try await f.conversation(channel: "chat")
            let email = try await f.conversation(channel: "email")
            for id in [firstChat, secondChat, email] { #expect(try #require(try await f.route(id)).outcome == .queued) }
            // Straight in the table: no notification, so only a sweep can hand them out.
            try await f.execute("UPDATE agents SET status = 'online' WHERE id = \(ann)")

            // Another process sweeping right now: this call leaves the queue to it.
            let other = try await f.schema.connect()
            try await other.execute("BEGIN")
            try await other.execute("SELECT pg_advisory_xact_lock(hashtextextended('switchboard.offer_waiting_all:' || current_schema(), 0))")
            #expect(try await f.int("SELECT offer_waiting_all()") == 0)
            #expect(try await f.agentOf(firstChat) == nil)
            try await other.execute("COMMIT")
            await other.close()

            // Room for one chat: the oldest chat and the email go to Ann, the second chat waits.
            #expect(try await f.int("SELECT offer_waiting_all()") == 2)
            #expect(try await f.agentOf(firstChat) == ann)
            #expect(try await f.agentOf(email) == ann)
            #expect(try await f.agentOf(secondChat) == nil)
            #expect(try await f.int("SELECT offer_waiting_all()") == 0)
        }
    }

    /// Whether `condition` holds within 30 s. Far below the tests' 600 s sweep, so a reaction within
    /// it is the notification's; and long enough for a machine busy migrating every suite's schema
    /// at once (5 s was not: the service's first pass came later).
    static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}
