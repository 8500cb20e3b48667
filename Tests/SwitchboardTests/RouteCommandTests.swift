import Foundation
import Postgres
import TestSupport
import Testing

@Suite("switchboard route, with real routing worker processes")
struct RouteCommandTests {
    /// 50 agents in three teams (round robin on email, least loaded with small chat capacity,
    /// sticky on SMS), 10,000 conversations, four worker processes routing at once. Everything
    /// is checked from the database afterwards, not from logs.
    @Test("4 routing processes, 10,000 conversations, 50 agents: never over capacity, never assigned twice, round robin within ±1, sticky reaches the previous agent")
    func concurrentRouting() async throws {
        let schema = try await TestDatabase.freshSchema("cliroute")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        #expect(try await CommandLineTests.run(["migrate"] + url).status == 0)
        let connection = try await schema.connect()
        _ = try await connection.simpleQuery(unsafeSQL: """
            INSERT INTO teams (name, default_strategy) VALUES ('RR', 'round_robin'), ('Cap', 'least_loaded'), ('Sticky', 'sticky');
            INSERT INTO agents (email, name, status)
            SELECT 'agent' || i || '@shop.test', 'Agent ' || i, CASE WHEN i = 50 THEN 'offline' ELSE 'online' END FROM generate_series(1, 50) i;
            INSERT INTO team_members (team_id, agent_id)
            SELECT t.id, a.id FROM agents a JOIN teams t
                ON t.name = CASE WHEN a.id <= 25 THEN 'RR' WHEN a.id <= 45 THEN 'Cap' ELSE 'Sticky' END;
            INSERT INTO agent_skills (agent_id, kind, value) SELECT id, 'language', 'en' FROM agents;
            INSERT INTO agent_capacity (agent_id, channel, max_open)
            SELECT id, CASE WHEN id <= 25 THEN 'email' WHEN id <= 45 THEN 'chat' ELSE 'sms' END,
                   CASE WHEN id BETWEEN 26 AND 45 THEN 10 ELSE 1000 END FROM agents;
            INSERT INTO routing_rules (name, position, channels, team_id, strategy)
            SELECT 'email', 1, '{email}'::text[], id, 'round_robin' FROM teams WHERE name = 'RR'
            UNION ALL SELECT 'chat', 2, '{chat}', id, 'least_loaded' FROM teams WHERE name = 'Cap'
            UNION ALL SELECT 'sms', 3, '{sms}', id, 'sticky' FROM teams WHERE name = 'Sticky';
            -- 1,000 SMS customers with an earlier conversation, each with one of the five sticky-team agents (46…50; 50 is offline).
            INSERT INTO customers (store_id) SELECT 1 FROM generate_series(1, 9000);
            INSERT INTO conversations (store_id, customer_id, channel, language, status, agent_id, team_id, assigned_at, resolved_at, created_at)
            SELECT 1, c, 'sms', 'en', 'resolved', 46 + c % 5, (SELECT id FROM teams WHERE name = 'Sticky'),
                   now() - interval '1 day', now() - interval '1 day', now() - interval '2 days'
              FROM generate_series(1, 1000) c;
            -- New: 2,000 SMS (two per earlier customer), 4,000 email and 4,000 chat from new customers.
            INSERT INTO conversations (store_id, customer_id, channel, language)
            SELECT 1, 1 + i % 1000, 'sms', 'en' FROM generate_series(0, 1999) i
            UNION ALL SELECT 1, 1001 + i, 'email', 'en' FROM generate_series(0, 3999) i
            UNION ALL SELECT 1, 5001 + i, 'chat', 'en' FROM generate_series(0, 3999) i;
            SELECT request_route(VARIADIC array_agg(id ORDER BY random())) FROM conversations WHERE status = 'open';
            """)
        #expect(try await connection.query("SELECT count(*) FROM jobs WHERE kind = 'route'").scalar(Int.self) == 10_000)
        let overCapacity = """
            SELECT count(*) FROM agent_capacity c
             WHERE c.max_open < (SELECT count(*) FROM conversations v
                                  WHERE v.agent_id = c.agent_id AND v.channel = c.channel AND v.status IN ('open', 'pending'))
            """
        var workers: [Process] = []
        defer { for worker in workers where worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        for _ in 0..<4 {
            workers.append(try CommandLineTests.startWorker(["--queue", "route=8", "--no-migrate", "--log-level", "warning"] + url))
        }
        let deadline = ContinuousClock.now + .seconds(300)
        var sampledOver = 0
        while ContinuousClock.now < deadline {
            sampledOver += try await connection.query(PostgresQuery(unsafeSQL: overCapacity)).scalar(Int.self)
            if try await connection.query("SELECT count(*) FROM jobs WHERE kind = 'route'").scalar(Int.self) == 0 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        for worker in workers { kill(worker.processIdentifier, SIGTERM) }
        for worker in workers { worker.waitUntilExit() }
        for worker in workers { #expect(worker.terminationStatus == 0) }

        #expect(try await connection.query("SELECT count(*) FROM jobs WHERE kind = 'route'").scalar(Int.self) == 0)
        #expect(sampledOver == 0)
        // Routing workers install the every-minute SLA check.
        #expect(try await connection.query("SELECT count(*) FROM job_schedules WHERE name = 'sla_check' AND queue = 'route'").scalar(Int.self) == 1)
        #expect(try await connection.query(PostgresQuery(unsafeSQL: overCapacity)).scalar(Int.self) == 0)
        // Every conversation decided; none assigned twice.
        #expect(try await connection.query("""
            SELECT count(*) FROM conversations c WHERE c.status = 'open' AND c.routed_at IS NULL
            """).scalar(Int.self) == 0)
        #expect(try await connection.query("""
            SELECT count(*) FROM (SELECT conversation_id FROM routing_decisions WHERE outcome = 'assigned'
                                   GROUP BY conversation_id HAVING count(*) > 1) twice
            """).scalar(Int.self) == 0)
        // Round robin: 4,000 email conversations over 25 agents, 160 ± 1 each.
        let spread = try #require(try await connection.query("""
            SELECT min(n), max(n), sum(n) FROM (SELECT a.id, count(c.id) AS n FROM agents a
              LEFT JOIN conversations c ON c.agent_id = a.id AND c.channel = 'email' WHERE a.id <= 25 GROUP BY a.id) x
            """).first)
        let (least, most, total) = (try spread.decode(Int.self, at: 0), try spread.decode(Int.self, at: 1), try spread.decode(Int.self, at: 2))
        #expect(total == 4000 && most - least <= 1, "round robin spread \(least)…\(most) of \(total)")
        // Least loaded with 20 agents × 10 chats: exactly 200 assigned, 3,800 waiting in the team queue.
        let chats = try await connection.query("""
            SELECT count(*) FILTER (WHERE agent_id IS NOT NULL), count(*) FILTER (WHERE agent_id IS NULL AND team_id IS NOT NULL)
              FROM conversations WHERE channel = 'chat'
            """).first
        #expect(try chats?.decode(Int.self, at: 0) == 200 && chats?.decode(Int.self, at: 1) == 3800)
        // Sticky: customers whose earlier agent is online got that agent, every time; the others
        // (their agent, 50, is offline) got someone online in the team.
        let sticky = try #require(try await connection.query("""
            SELECT count(*) FILTER (WHERE old.agent_id <> 50 AND new.agent_id = old.agent_id),
                   count(*) FILTER (WHERE old.agent_id <> 50),
                   count(*) FILTER (WHERE old.agent_id = 50 AND new.agent_id BETWEEN 46 AND 49),
                   count(*) FILTER (WHERE old.agent_id = 50)
              FROM conversations new JOIN conversations old ON old.customer_id = new.customer_id AND old.status = 'resolved'
             WHERE new.channel = 'sms' AND new.status = 'open'
            """).first)
        #expect(try sticky.decode(Int.self, at: 0) == sticky.decode(Int.self, at: 1))
        #expect(try sticky.decode(Int.self, at: 2) == sticky.decode(Int.self, at: 3))
        #expect(try sticky.decode(Int.self, at: 1) == 1600)

        // The explanation of one of them, from the command line.
        let chatID = try await connection.query("""
            SELECT min(d.conversation_id) FROM routing_decisions d JOIN conversations c ON c.id = d.conversation_id
             WHERE c.channel = 'chat' AND c.agent_id IS NULL AND d.reason LIKE 'no eligible agent%'
            """).scalar(Int64.self)
        let explained = try await CommandLineTests.run(["route", "explain", String(chatID)] + url)
        #expect(explained.status == 0 && explained.stdout.contains("no eligible agent: waits in the team queue")
                && explained.stdout.contains("passed over: at capacity on chat (10 of 10)"), "\(explained.stdout) \(explained.stderr)")
        let status = try await CommandLineTests.run(["route", "status"] + url)
        #expect(status.status == 0 && status.stdout.contains("Cap") && status.stdout.contains("3800"), "\(status.stdout)")
        let missing = try await CommandLineTests.run(["route", "explain", "999999999"] + url)
        #expect(missing.status != 0 && missing.stderr.contains("conversation 999999999 does not exist"))
        let dry = try await CommandLineTests.run(["route", "dry-run", "--last", "5", "--disable", "1"] + url)
        #expect(dry.status == 0 && dry.stdout.contains("first choice"), "\(dry.stdout) \(dry.stderr)")
        await connection.close()
        try await schema.drop()
    }
}
