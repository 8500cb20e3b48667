import Foundation
import Postgres
import Routing
import Testing

@Suite("Routing strategies, eligibility and capacity")
struct StrategyTests {
    @Test("round robin takes turns; least loaded fills the emptiest; skills picks the best; manual waits")
    func strategies() async throws {
        try await RoutingFixture.with("rstrat") { f in
            let rr = try await f.team("RR")
            let agents = [try await f.agent("Ann", teams: [rr]), try await f.agent("Bob", teams: [rr]), try await f.agent("Cid", teams: [rr])]
            try await f.execute("INSERT INTO routing_rules (name, position, channels, team_id, strategy) VALUES ('rr', 1, '{email}', \(rr), 'round_robin')")
            var got: [Int64] = []
            for _ in 0..<7 {
                let decision = try #require(try await f.route(try await f.conversation(channel: "email")))
                got.append(try #require(decision.agentID))
            }
            #expect(Array(got.prefix(3)).sorted() == agents.sorted())
            #expect(got[3..<6].sorted() == agents.sorted())
            #expect(try await f.text("SELECT reason FROM routing_decisions ORDER BY id DESC LIMIT 1") == "round robin: fewest turns in the team")

            // least loaded: Dan carries two of three chats already, Eve none.
            let ll = try await f.team("LL")
            let dan = try await f.agent("Dan", teams: [ll], capacity: ["chat": 3])
            let eve = try await f.agent("Eve", teams: [ll], capacity: ["chat": 3])
            try await f.execute("INSERT INTO routing_rules (name, position, channels, team_id, strategy) VALUES ('ll', 2, '{chat}', \(ll), 'least_loaded')")
            for _ in 0..<2 { try await f.execute("UPDATE conversations SET agent_id = \(dan) WHERE id = \(try await f.conversation(channel: "chat"))") }
            #expect(try await f.int("SELECT live FROM agent_capacity WHERE agent_id = \(dan) AND channel = 'chat'") == 2)
            let first = try #require(try await f.route(try await f.conversation(channel: "chat")))
            #expect(first.agentID == eve)
            let second = try #require(try await f.route(try await f.conversation(channel: "chat")))
            #expect(second.agentID == eve)
            // Both at 2 of 3 now: the one assigned longest ago.
            #expect(try #require(try await f.route(try await f.conversation(channel: "chat"))).agentID == dan)

            // skills: the higher language + category level wins.
            let sk = try await f.team("Skills")
            try await f.agent("Fay", teams: [sk], languages: ["pl": 2], categories: ["payment": 2])
            let gus = try await f.agent("Gus", teams: [sk], languages: ["pl": 5], categories: ["payment": 4])
            try await f.execute("INSERT INTO routing_rules (name, position, languages, team_id, strategy, require_skill) VALUES ('pl', 0, '{pl}', \(sk), 'skills', true)")
            #expect(try #require(try await f.route(try await f.conversation(language: "pl", category: "payment"))).agentID == gus)

            // manual: waits in the queue even with agents free.
            let mq = try await f.team("Manual")
            try await f.agent("Hal", teams: [mq])
            try await f.execute("INSERT INTO routing_rules (name, position, categories, team_id, strategy) VALUES ('manual', -1, '{technical}', \(mq), 'manual')")
            let manual = try #require(try await f.route(try await f.conversation(category: "technical")))
            #expect(manual.outcome == .queued && manual.agentID == nil && manual.reason.hasPrefix("manual strategy"))
        }
    }

    @Test("only online agents who speak the language, have the skill and have room are eligible; the explanation says why each was passed over")
    func eligibility() async throws {
        try await RoutingFixture.with("relig") { f in
            try await f.execute("UPDATE routing_settings SET require_skill = true")
            let off = try await f.agent("Olga", status: "offline", languages: ["uk": 5], categories: ["delivery": 5])
            try await f.agent("Andy", status: "away", languages: ["uk": 5], categories: ["delivery": 5])
            try await f.agent("Pete", languages: ["pl": 5], categories: ["delivery": 5])
            try await f.agent("Nina", languages: ["uk": 5], categories: ["payment": 5])
            try await f.agent("Fred", capacity: ["email": 5], languages: ["uk": 5], categories: ["delivery": 5])
            let full = try await f.agent("Max", capacity: ["chat": 1], languages: ["uk": 5], categories: ["delivery": 5])
            try await f.execute("UPDATE conversations SET agent_id = \(full), channel = 'chat' WHERE id = \(try await f.conversation(channel: "chat"))")
            let id = try await f.conversation(channel: "chat", language: "uk", category: "delivery")
            let decision = try #require(try await f.route(id))
            #expect(decision.outcome == .queued)
            let explanation = try #require(try await f.connection.run { connection in try RoutingExplanation.load(id, on: connection) })
            let notes = Dictionary(uniqueKeysWithValues: try #require(explanation.decisions.last).candidates.map { ($0.agent, $0.note ?? "") })
            #expect(notes == ["Olga": "offline", "Andy": "away", "Pete": "does not speak uk", "Nina": "no skill in delivery",
                              "Fred": "takes no chat conversations", "Max": "at capacity on chat (1 of 1)"])
            #expect(explanation.text.contains("passed over: at capacity on chat (1 of 1)"))
            let view = try await f.text("SELECT reason FROM routing_explanations WHERE conversation_id = \(id)")
            #expect(view == "no eligible agent: waits in the team queue")

            // Olga comes online: what waits is hers (the routing worker calls this on the notification).
            try await f.execute("SELECT set_agent_status(\(off), 'online')")
            #expect(try await f.int("SELECT offer_waiting(\(off))") == 1)
            #expect(try await f.agentOf(id) == off)
            #expect(try await f.text("SELECT cause FROM routing_decisions WHERE conversation_id = \(id) ORDER BY id DESC LIMIT 1") == "offer")
        }
    }

    @Test("capacity is never exceeded, whoever assigns; the team queue serves the most urgent, then the oldest")
    func capacity() async throws {
        try await RoutingFixture.with("rcap") { f in
            let ann = try await f.agent("Ann", capacity: ["chat": 2])
            var ids: [Int64] = []
            for priority in [3, 3, 2, 4, 1] { ids.append(try await f.conversation(channel: "chat", priority: priority)) }
            for id in ids { _ = try await f.route(id) }
            #expect(try await f.int("SELECT count(*) FROM conversations WHERE agent_id = \(ann)") == 2)
            #expect(try await f.int("SELECT count(*) FROM routing_decisions WHERE outcome = 'queued'") == 3)
            // An admin's UPDATE over capacity is refused too.
            await f.expectRefused("UPDATE conversations SET agent_id = \(ann) WHERE id = \(ids[4])",
                                  "agent \(ann) is at capacity on chat (2 of 2 live conversations)")
            // Resolving one frees a slot: the urgent one (priority 1) goes first, then priority 2.
            try await f.execute("SELECT resolve_conversation(\(ids[0]))")
            #expect(try await f.int("SELECT offer_waiting(\(ann))") == 1)
            #expect(try await f.agentOf(ids[4]) == ann)
            try await f.execute("SELECT resolve_conversation(\(ids[1]))")
            #expect(try await f.int("SELECT offer_waiting(\(ann))") == 1)
            #expect(try await f.agentOf(ids[2]) == ann)
            #expect(try await f.int("SELECT live FROM agent_capacity WHERE agent_id = \(ann)") == 2)
            // Raising capacity lets the next one in; the counter matches the conversations.
            try await f.execute("UPDATE agent_capacity SET max_open = 3 WHERE agent_id = \(ann)")
            #expect(try await f.int("SELECT offer_waiting(\(ann))") == 1)
            #expect(try await f.int("""
                SELECT count(*) FROM agent_capacity c
                 WHERE c.live <> (SELECT count(*) FROM conversations v WHERE v.agent_id = c.agent_id AND v.channel = c.channel AND v.status IN ('open', 'pending'))
                """) == 0)
        }
    }

    @Test("sticky reaches the customer's previous agent while eligible; offline agents lose their chats but keep email; reopened goes back to its agent")
    func stickyOfflineReopen() async throws {
        try await RoutingFixture.with("rsticky") { f in
            try await f.execute("UPDATE routing_settings SET default_strategy = 'sticky'")
            let ann = try await f.agent("Ann")
            let bob = try await f.agent("Bob")
            let customer = try await f.customer()
            let first = try await f.conversation(channel: "email", customer: customer)
            try await f.execute("UPDATE conversations SET agent_id = \(bob) WHERE id = \(first)")
            try await f.execute("SELECT resolve_conversation(\(first))")
            let again = try #require(try await f.route(try await f.conversation(channel: "chat", customer: customer)))
            #expect(again.agentID == bob && again.reason == "sticky: the customer's previous agent")

            // Bob goes offline: his chat goes back to routing (to Ann); his email stays.
            let email = try await f.conversation(channel: "email", customer: try await f.customer())
            try await f.execute("UPDATE conversations SET agent_id = \(bob) WHERE id = \(email)")
            try await f.execute("SELECT set_agent_status(\(bob), 'offline')")
            #expect(try await f.agentOf(again.conversationID) == nil)
            #expect(try await f.agentOf(email) == bob)
            #expect(try await f.int("SELECT count(*) FROM jobs WHERE kind = 'route' AND args->>'conversation_id' = '\(again.conversationID)'") == 1)
            let moved = try #require(try await f.route(again.conversationID))
            #expect(moved.agentID == ann && moved.reason == "sticky; the previous agent is not eligible")

            // A reopened conversation goes back to its agent, never to one who went offline.
            try await f.execute("SELECT resolve_conversation(\(moved.conversationID))")
            try await f.execute("SELECT reopen_conversation(\(moved.conversationID))")
            #expect(try await f.agentOf(moved.conversationID) == nil)
            #expect(try #require(try await f.route(moved.conversationID)).agentID == ann)
            try await f.execute("SELECT resolve_conversation(\(moved.conversationID))")
            try await f.execute("SELECT set_agent_status(\(ann), 'offline')")
            try await f.execute("SELECT set_agent_status(\(bob), 'online')")
            try await f.execute("SELECT reopen_conversation(\(moved.conversationID))")
            #expect(try #require(try await f.route(moved.conversationID)).agentID == bob)
        }
    }
}
