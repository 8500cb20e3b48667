import CommandSupport
import SampleData
import SwitchboardApp
import Foundation
import Helpdesk
import JobQueue
import Logging
import Postgres

/// The demo's ingest step: a shop's order events and a burst of multilingual messages on every
/// channel (with a repeated delivery and a broken payload), through a real ingest worker.
enum DemoIngest {
    static func run(_ pool: PostgresPool, _ demo: PostgresConfiguration) async throws -> String {
        try await DemoWorkers.whileRunning([HelpdeskJobs.ingestQueue: 8], in: demo) {
            try await insertTraffic(pool)
            try await waitUntilHandled(pool)
        }
        return try await report(pool)
    }

    private static func insertTraffic(_ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            // The shop tells Switchboard about two orders first.
            try connection.execute("""
                INSERT INTO order_events (order_number, kind, payload) VALUES
                  ('1001', 'shipped', '{"customer": {"email": "customer1@example.com", "phone": "+380670000001", "name": "Олена"},
                                        "total": 1250, "currency": "UAH", "carrier": "Nova Poshta",
                                        "tracking_url": "https://novaposhta.ua/tracking/?cargo_number=20450000000001"}'),
                  ('1002', 'delayed', '{"customer": {"email": "customer4@example.com", "name": "Marek"}, "total": 89, "currency": "PLN",
                                        "carrier": "InPost"}')
                """)
        }
        try await waitUntilHandled(pool)
        let plan: [(channel: String, customer: Int, text: Int)] = [
            ("sms", 1, 4), ("email", 2, 0), ("chat", 3, 7), ("webform", 4, 10), ("social", 5, 13),
            ("email", 6, 16), ("phone", 7, 3), ("social", 8, 8), ("chat", 9, 11), ("webform", 10, 17),
            ("sms", 11, 6), ("email", 12, 14),
        ]
        var channels: [String] = [], ids: [String] = [], payloads: [String] = []
        for (sequence, item) in plan.enumerated() {
            let text = InboundSamples.texts[item.text]
            channels.append(item.channel)
            ids.append("demo-\(sequence)")
            payloads.append(String(decoding: InboundSamples.payload(channel: item.channel, customer: item.customer, text: text, sequence: sequence), as: UTF8.self))
        }
        // The provider delivers one message twice, and one payload arrives broken.
        channels += ["sms", "chat"]
        ids += ["demo-0", "demo-broken"]
        payloads += [payloads[0], "{\"session_id\": \"x\", \"text\": "]
        let rows = (channels, ids, payloads)
        try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO inbound_messages (channel, external_id, payload)
                SELECT c, e, convert_to(p, 'UTF8') FROM unnest(\(rows.0), \(rows.1), \(rows.2)) AS t(c, e, p)
                """)
        }
    }

    private static func waitUntilHandled(_ pool: PostgresPool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let waiting = try await pool.query("""
                SELECT (SELECT count(*) FROM inbound_messages WHERE status = 'received')
                     + (SELECT count(*) FROM order_events WHERE status = 'received')
                """).scalar(Int.self)
            if waiting == 0 { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw CommandFailure("inbound messages still waiting after 30 s")
    }

    private static func report(_ pool: PostgresPool) async throws -> String {
        let rows = try await pool.query("""
            SELECT c.id, c.channel, c.language, coalesce(c.category, '-'), c.priority, c.status,
                   coalesce('bot: ' || c.auto_answered_intent, CASE WHEN j.id IS NOT NULL THEN 'route job' ELSE '-' END),
                   left(regexp_replace(m.body_text, '\\s+', ' ', 'g'), 38)
              FROM conversations c
              JOIN LATERAL (SELECT body_text FROM messages WHERE conversation_id = c.id AND author_kind = 'customer' ORDER BY id LIMIT 1) m ON true
              LEFT JOIN jobs j ON j.kind = 'route' AND j.args->>'conversation_id' = c.id::text
             ORDER BY c.id
            """)
        var lines = [String]()
        lines.append("      " + ["conv", "channel", "lang", "category", "prio", "status", "next"].enumerated()
            .map { $1.padding(toLength: [5, 8, 5, 13, 5, 8, 24][$0], withPad: " ", startingAt: 0) }.joined() + "first message")
        for row in rows {
            let cells = [String(try row.decode(Int64.self, at: 0)), try row.decode(String.self, at: 1), try row.decode(String.self, at: 2),
                         try row.decode(String.self, at: 3), String(try row.decode(Int.self, at: 4)), try row.decode(String.self, at: 5),
                         try row.decode(String.self, at: 6)]
            lines.append("      " + cells.enumerated().map { $1.padding(toLength: [5, 8, 5, 13, 5, 8, 24][$0], withPad: " ", startingAt: 0) }.joined()
                         + (try row.decode(String.self, at: 7)))
        }
        let counts = try await pool.query("""
            SELECT count(*) FILTER (WHERE status = 'processed'), count(*) FILTER (WHERE status = 'duplicate'),
                   count(*) FILTER (WHERE status = 'rejected'), (SELECT count(*) FROM outbox)
              FROM inbound_messages
            """)
        let summary = "\(try counts[0].decode(Int.self, at: 0)) messages → \(rows.count) conversations, "
            + "\(try counts[0].decode(Int.self, at: 1)) duplicate dropped, \(try counts[0].decode(Int.self, at: 2)) rejected with its reason, "
            + "\(try counts[0].decode(Int.self, at: 3)) answered by the bot"
        try DemoChecks.expect(rows.count >= 10, "only \(rows.count) conversations")
        return summary + "\n" + lines.joined(separator: "\n")
    }
}
