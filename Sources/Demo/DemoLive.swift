import CommandSupport
import SampleData
import SwitchboardApp
import Foundation
import Helpdesk
import JobQueue
import Logging
import Postgres
import Routing
import UnixSignals

/// The demo's live part: ingest, routing, notification and survey workers on a stream of
/// simulated multilingual messages and order events, agents answering, resolving, and going on
/// and offline, customers answering surveys; every two seconds a progress line and what left (or was held back), until
/// interrupted (SIGINT) or for `duration`.
enum DemoLive {
    /// Sets up teams, agents and rules in the demo schema and runs until `duration` has passed
    /// (nil: until SIGINT). Returns a closing summary.
    static func run(_ pool: PostgresPool, _ demo: PostgresConfiguration, duration: Duration?) async throws -> String {
        try await seed(pool)
        let outgoing = try await DemoOutgoing.start(pool)
        try await DemoSurveys.configure(pool)
        defer { outgoing.stop() }
        let started = ContinuousClock.now
        print("\n  live: ingest, routing, notification and survey workers on a stream of messages and order events; agents answer,"
              + " resolve, and come and go; customers answer surveys;\n  what leaves goes to a mail sink on 127.0.0.1:\(outgoing.mail.port) and an HTTP sink on 127.0.0.1:\(outgoing.http.port)"
              + (duration == nil ? " (Ctrl-C to stop)" : ""))
        // SIGINT stops the traffic instead of the process, so the workers stop and the schema is dropped.
        let interrupts = await UnixSignalsSequence(trapping: .sigint)
        try await DemoWorkers.whileRunning([HelpdeskJobs.ingestQueue: 8, HelpdeskJobs.routeQueue: 8, HelpdeskJobs.notifyQueue: 4,
                                                HelpdeskJobs.surveysQueue: 2], in: demo) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await traffic(pool, outgoing, since: started) }
                group.addTask { for await _ in interrupts { return } }
                if let duration { group.addTask { try await Task.sleep(for: duration) } }
                try await group.next()
                group.cancelAll()
            }
        }
        return try await summary(pool) + "\n      " + (try await outgoing.summary(pool)) + "\n      " + (try await DemoSurveys.report(pool))
    }

    /// Messages arrive every 250 ms; agents work every 500 ms and come and go every 3 s; an
    /// order moves along every second; a progress line and what left every 2 s. Runs until cancelled.
    private static func traffic(_ pool: PostgresPool, _ outgoing: DemoOutgoing, since started: ContinuousClock.Instant) async throws {
        var tick = 0
        var sequence = 10_000
        var lastEvent: Int64 = 0
        while true {
            sequence = try await arrive(pool, sequence: sequence)
            if tick % 2 == 0 { try await work(pool) }
            if tick % 4 == 1 { try await outgoing.orderNews(pool, step: tick / 4) }
            if tick % 12 == 6 { try await toggleAgent(pool) }
            if tick % 8 == 4 { try await DemoSurveys.answer(pool, sequence: tick / 8).forEach { print($0) } }
            if tick % 8 == 0 {
                print("  " + (try await progress(pool, since: started)))
                let leaving = try await outgoing.lines(pool, after: lastEvent)
                leaving.lines.forEach { print($0) }
                lastEvent = leaving.last
            }
            tick += 1
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Three teams and twelve agents with their languages, skills and capacity; rules for
    /// languages, VIPs and returns; SLA policy escalating to the leads.
    private static func seed(_ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            try RoutingSetup.add(teams: [
                TeamSetup("East desk", defaultStrategy: .leastLoaded, supervisorEmail: "east.lead@shop.example"),
                TeamSetup("Polish desk", defaultStrategy: .roundRobin, supervisorEmail: "pl.lead@shop.example"),
                TeamSetup("Returns", defaultStrategy: .skills, supervisorEmail: "returns.lead@shop.example"),
            ], on: connection)
            let capacity: [Channel: Int] = Dictionary(uniqueKeysWithValues: Channel.allCases.map { ($0, $0 == .chat ? 2 : $0 == .email ? 6 : 3) })
            let skilled = ["returns": 4, "delivery": 3, "payment": 5]
            func agent(_ name: String, _ languages: [String], status: AgentStatus = .online, teams: [String] = [], skills: Bool = false) -> AgentSetup {
                AgentSetup(name, email: "\(name.split(separator: " ")[0].lowercased())@shop.example", status: status, teams: ["General"] + teams,
                           capacity: capacity, languages: Dictionary(uniqueKeysWithValues: languages.map { ($0, 4) }),
                           categories: skills ? skilled : [:])
            }
            try RoutingSetup.add(agents: [
                agent("Olena", ["uk", "ru", "en"], teams: ["East desk"]),
                agent("Taras", ["uk", "en"], teams: ["East desk", "Returns"], skills: true),
                agent("Irina", ["ru", "uk"], teams: ["East desk"]),
                agent("Marek", ["pl", "en"], teams: ["Polish desk"], skills: true),
                agent("Zofia", ["pl", "uk"], teams: ["Polish desk"]),
                agent("Amal", ["ar", "en"], skills: true),
                agent("Li Wei", ["zh", "en"]),
                agent("Emma", ["en"], teams: ["Returns"], skills: true),
                agent("John", ["en"], status: .offline),
                agent("Sara", ["en", "pl"], teams: ["Polish desk", "Returns"], skills: true),
                agent("Omar", ["ar"], teams: ["Returns"]),
                agent("Chen", ["zh"], status: .away, skills: true),
            ], on: connection)
            try RoutingSetup.add(rules: [
                RuleSetup("VIP", position: 1, team: "General", strategy: .sticky, tiers: ["vip"], priority: 2),
                RuleSetup("Returns", position: 5, team: "Returns", strategy: .skills, categories: ["returns"], requireLanguage: false),
                RuleSetup("Ukrainian and Russian", position: 10, team: "East desk", strategy: .leastLoaded, languages: ["uk", "ru"]),
                RuleSetup("Polish", position: 20, team: "Polish desk", strategy: .roundRobin, languages: ["pl"]),
            ], on: connection)
            // The demo's own pace: VIPs to make the sticky rule visible, SLA clocks short enough to breach.
            _ = try connection.simpleQuery(unsafeSQL: """
                UPDATE customers SET tier = 'vip' WHERE id % 5 = 0;
                UPDATE routing_settings SET default_strategy = 'least_loaded';
                UPDATE sla_targets SET first_response = interval '30 seconds' WHERE priority <= 2;
                """)
        }
    }

    /// Two or three new messages from the simulated customers.
    private static func arrive(_ pool: PostgresPool, sequence: Int) async throws -> Int {
        var channels: [String] = [], ids: [String] = [], payloads: [String] = []
        for offset in 0..<Int.random(in: 1...3) {
            let channel = InboundSamples.channel(for: Double.random(in: 0..<1))
            let text = InboundSamples.texts.randomElement()!
            channels.append(channel)
            ids.append("live-\(sequence + offset)")
            payloads.append(String(decoding: InboundSamples.payload(channel: channel, customer: Int.random(in: 1...60), text: text,
                                                                    sequence: sequence + offset), as: UTF8.self))
        }
        let rows = (channels, ids, payloads)
        try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO inbound_messages (channel, external_id, payload)
                SELECT c, e, convert_to(p, 'UTF8') FROM unnest(\(rows.0), \(rows.1), \(rows.2)) AS t(c, e, p)
                """)
        }
        return sequence + channels.count
    }

    /// Agents answer a conversation they were given and resolve one they answered.
    private static func work(_ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            try connection.execute("""
                SELECT reply_to_conversation(c.id, c.agent_id, 'Thank you, we are on it.')
                  FROM (SELECT id, agent_id FROM conversations WHERE status = 'open' AND agent_id IS NOT NULL
                         ORDER BY random() LIMIT 1) c
                """)
            try connection.execute("""
                SELECT resolve_conversation(c.id, c.agent_id)
                  FROM (SELECT id, agent_id FROM conversations WHERE status = 'pending' AND agent_id IS NOT NULL
                         ORDER BY random() LIMIT 1) c
                """)
        }
    }

    /// One agent goes offline, or an offline or away one comes back.
    private static func toggleAgent(_ pool: PostgresPool) async throws {
        let line = try await pool.withConnection { connection -> String? in
            guard let row = try connection.query("""
                SELECT id, name, CASE WHEN status = 'online' THEN 'offline' ELSE 'online' END FROM agents ORDER BY random() LIMIT 1
                """).first else { return nil }
            let (id, name, status) = (try row.decode(Int64.self, at: 0), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2))
            try connection.execute("SELECT set_agent_status(\(id), \(status))")
            return "\(name) goes \(status)"
        }
        if let line { print("  · \(line)") }
    }

    private static func progress(_ pool: PostgresPool, since started: ContinuousClock.Instant) async throws -> String {
        let row = try await pool.query("""
            SELECT (SELECT count(*) FROM inbound_messages WHERE external_id LIKE 'live-%'),
                   count(*),
                   count(*) FILTER (WHERE agent_id IS NOT NULL AND status IN ('open', 'pending')),
                   count(*) FILTER (WHERE agent_id IS NULL AND status = 'open' AND team_id IS NOT NULL),
                   count(*) FILTER (WHERE status IN ('open', 'pending') AND (first_response_breached_at IS NOT NULL
                       OR (first_response_at IS NULL AND first_response_due_at < now() + interval '10 minutes'))),
                   count(*) FILTER (WHERE status = 'resolved'),
                   (SELECT count(*) FROM agents WHERE status = 'online'), (SELECT count(*) FROM agents),
                   (SELECT count(*) FROM outbox WHERE status = 'sent')
              FROM conversations
            """)[0]
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        let values = try (0..<9).map { try row.decode(Int.self, at: $0) }
        return String(format: "%4ds  messages in %-5d conversations %-5d assigned %-4d waiting %-4d SLA at risk %-4d resolved %-4d agents online %d/%d  sent %d",
                      seconds, values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7], values[8])
    }

    private static func summary(_ pool: PostgresPool) async throws -> String {
        let id = try await pool.query("""
            SELECT coalesce(max(conversation_id), 0) FROM routing_decisions WHERE outcome = 'assigned' AND cause = 'route'
            """).scalar(Int64.self)
        let decisions = try await pool.query("SELECT count(*) FROM routing_decisions").scalar(Int.self)
        try DemoChecks.expect(decisions > 0, "no routing decision was made")
        guard id > 0, let explanation = try await pool.withConnection({ connection in try RoutingExplanation.load(id, on: connection) }) else {
            return "\(decisions) routing decisions"
        }
        return "\(decisions) routing decisions; why the latest assignment went where it went (switchboard route explain \(id)):\n"
            + explanation.text.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
    }
}
