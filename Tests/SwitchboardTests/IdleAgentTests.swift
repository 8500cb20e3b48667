import Foundation
import Helpdesk
import Postgres
import Routing
import TestSupport
import Testing

@Suite("No agent idle while customers wait, with real routing worker processes")
struct IdleAgentTests {
    /// The routing sweep the workers run with: no free slot may stay free longer than this while
    /// a conversation it could take waits.
    static let sweep: Duration = .seconds(5)

    /// A slot: one agent's capacity on one channel.
    struct Slot: Hashable { var agent: Int64; var channel: Channel }

    /// 20 agents with small capacities in one team, four routing processes, 1,200 new
    /// conversations; agents flip between online, away and offline and conversations are resolved
    /// throughout; then every agent comes online. Sampled all along: how long each slot stayed
    /// free while its team had a conversation waiting on its channel that the agent could take.
    @Test("20 agents flipping status, 4 routing processes, 1,200 conversations: no slot stays free longer than the sweep while a conversation it could take waits; capacity never exceeded")
    func noIdleAgents() async throws {
        let schema = try await TestDatabase.freshSchema("idle")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        #expect(try await CommandLineTests.run(["migrate"] + url).status == 0)
        let connection = try await schema.connect()
        let agents = (1...20).map { AgentSetup("Agent \($0)", email: "agent\($0)@shop.test", status: .offline,
                                               capacity: [.chat: 2, .email: 3, .sms: 2], languages: ["en": 3]) }
        try await connection.run { connection in _ = try RoutingSetup.add(agents: agents, on: connection) }

        var workers: [Process] = []
        defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        for _ in 0..<4 {
            workers.append(try CommandLineTests.startWorker(log: ProcessInfo.processInfo.environment["IDLE_TEST_LOG"].map { "\($0)-\(workers.count)" },["--queue", "route=4", "--no-migrate", "--log-level", "warning",
                                                             "--routing-sweep", "\(Self.sweep.components.seconds)"] + url))
        }
        try await connection.execute("""
            WITH c AS (INSERT INTO customers (store_id) SELECT 1 FROM generate_series(1, 1200) RETURNING id),
                 v AS (INSERT INTO conversations (store_id, customer_id, channel, language, subject)
                       SELECT 1, id, (ARRAY['chat', 'email', 'sms'])[1 + id % 3], 'en', 'Question' FROM c RETURNING id)
            SELECT request_route(VARIADIC array_agg(id)) FROM v
            """)

        var freeSince: [Slot: ContinuousClock.Instant] = [:]
        var longestFree: (slot: Slot, duration: Duration, since: ContinuousClock.Instant)?
        let started = ContinuousClock.now
        var overCapacity = 0
        var samples = 0
        /// One look at the database: the slots free with something they could take waiting.
        func sample() async throws {
            let now = ContinuousClock.now
            let free = Set(try await connection.query(Self.freeSlots).map { Slot(agent: try $0.decode(Int64.self, at: 0), channel: try $0.decode(Channel.self, at: 1)) })
            for slot in free where freeSince[slot] == nil { freeSince[slot] = now }
            for slot in freeSince.keys where !free.contains(slot) { freeSince[slot] = nil }
            for (slot, since) in freeSince where now - since > (longestFree?.duration ?? .zero) { longestFree = (slot, now - since, since) }
            overCapacity += try await connection.query(Self.overCapacity).scalar(Int.self)
            samples += 1
        }

        // Churn for 10 s: five agents change status and three conversations are resolved every
        // 0.3 s — at least twelve rounds, as a loaded machine can take over a second a round.
        let statuses: [AgentStatus] = [.online, .away, .offline]
        let churnEnd = ContinuousClock.now + .seconds(10)
        var rounds = 0
        while ContinuousClock.now < churnEnd || rounds < 12 {
            rounds += 1
            // As a desk would: a deadlock with a routing worker is run again.
            try await connection.run { connection in
                try await connection.retryingTransient { connection in
                    try connection.execute("""
                        UPDATE agents SET status = (\(statuses)::text[])[1 + floor(random() * 3)::int]
                         WHERE id IN (SELECT id FROM agents ORDER BY random() LIMIT 5)
                        """)
                }
                try await connection.retryingTransient { connection in
                    try connection.execute("""
                        SELECT resolve_conversation(id)
                          FROM (SELECT id FROM conversations WHERE status = 'open' AND agent_id IS NOT NULL ORDER BY random() LIMIT 3) x
                        """)
                }
            }
            try await sample()
            try await Task.sleep(for: .milliseconds(300))
        }
        // Everyone online; then watch for three sweep periods.
        try await connection.run { connection in
            try await connection.retryingTransient { connection in try connection.execute("UPDATE agents SET status = 'online'") }
        }
        let allOnline = ContinuousClock.now
        let watchEnd = ContinuousClock.now + Self.sweep * 3
        while ContinuousClock.now < watchEnd {
            try await sample()
            try await Task.sleep(for: .milliseconds(200))
        }
        let stillFree = try await connection.query(Self.freeSlots).count
        let waiting = try await connection.query("SELECT count(*) FROM conversations WHERE status = 'open' AND agent_id IS NULL").scalar(Int.self)

        for worker in workers { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { worker.waitUntilExit() }
        for worker in workers { #expect(worker.terminationStatus == 0) }

        #expect(samples >= 10, "too few looks at the database to judge: \(samples)")
        #expect(waiting > 900, "the test needs a queue longer than the agents' capacity; \(waiting) waited")
        #expect(overCapacity == 0)
        #expect(stillFree == 0)
        let longest = longestFree?.duration ?? .zero
        // The sweep offers a free slot within its period; the offer itself (a transaction of the
        // routing process) and this test's next look take their time on top, up to three seconds on
        // two cores shared with the rest of the suite (7.7 s was seen against a 5 s sweep).
        #expect(longest <= Self.sweep + .seconds(3), "agent \(longestFree?.slot.agent ?? 0) stayed free on \(longestFree?.slot.channel.rawValue ?? "-") for \(longest) from \((longestFree?.since ?? started) - started) after the start (all online at \(allOnline - started)) while a conversation it could take waited")
        // The counters routing reads agree with the conversations.
        #expect(try await connection.query("""
            SELECT count(*) FROM agent_capacity c
             WHERE c.live <> (SELECT count(*) FROM conversations v WHERE v.agent_id = c.agent_id AND v.channel = c.channel
                                                                   AND v.status IN ('open', 'pending'))
            """).scalar(Int.self) == 0)
        await connection.close()
        try await schema.drop()
    }

    /// Online agents' free slots on a channel where a routed conversation of one of their teams
    /// waits, in a language they speak (every conversation here is English; every agent speaks it).
    static let freeSlots: PostgresQuery = """
        SELECT cap.agent_id, cap.channel
          FROM agent_capacity cap JOIN agents a ON a.id = cap.agent_id AND a.status = 'online'
         WHERE cap.live < cap.max_open
           AND EXISTS (SELECT 1 FROM team_members tm JOIN conversations w ON w.team_id = tm.team_id
                        WHERE tm.agent_id = cap.agent_id AND w.channel = cap.channel AND w.status = 'open'
                          AND w.agent_id IS NULL AND w.routed_at IS NOT NULL)
        """

    static let overCapacity: PostgresQuery = """
        SELECT count(*) FROM agent_capacity c
         WHERE c.max_open < (SELECT count(*) FROM conversations v
                              WHERE v.agent_id = c.agent_id AND v.channel = c.channel AND v.status IN ('open', 'pending'))
        """
}
