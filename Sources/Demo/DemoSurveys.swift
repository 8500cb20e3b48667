import Foundation
import Postgres
import Reports

/// The demo's surveys: resolved conversations get a CSAT survey a few seconds later through the
/// survey worker; simulated customers answer some from the link in the message they were sent
/// (the token the page would take, through the page's own `survey_answer()`), and some by
/// replying to the SMS with a bare rating, in Arabic digits too; at the end, the period's report.
enum DemoSurveys {
    /// Surveys soon after a resolution, after the bot's too, and a link address for their pages.
    /// Quiet hours move to the six hours that begin four hours from now in UTC, so that at any
    /// hour most customers (UTC to UTC+3) may be asked now and some (UTC+8, Shanghai) must wait.
    static func configure(_ pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            _ = try connection.simpleQuery(unsafeSQL: """
                UPDATE notify_settings SET public_base_url = 'https://help.shop.example';
                INSERT INTO survey_settings (store_id, csat_delay, csat_after_bot) VALUES (1, '3 seconds', true);
                UPDATE stores SET quiet_hours_start = (date_trunc('hour', now() AT TIME ZONE 'UTC') + interval '4 hours')::time,
                                  quiet_hours_end = (date_trunc('hour', now() AT TIME ZONE 'UTC') + interval '10 hours')::time
                 WHERE id = 1;
                """)
        }
    }

    /// Answers one survey by link and one by SMS reply when there are some to answer; returns a
    /// line for each.
    static func answer(_ pool: PostgresPool, sequence: Int) async throws -> [String] {
        var lines: [String] = []
        // By link: the token in the link of a message that left (the rendered text is kept on its row).
        if let row = try await pool.query("""
            SELECT s.id, substring(o.body_text FROM '/s/([0-9a-f]{32,})'), o.locale, notify_channel(o.channel)
              FROM surveys s JOIN outbox o ON o.id = s.outbox_id
             WHERE s.status = 'queued' AND o.status = 'sent' AND notify_channel(o.channel) <> 'sms'
               AND o.body_text ~ '/s/[0-9a-f]{32,}'
             ORDER BY s.id LIMIT 1
            """).first, let token = try row.decode(String?.self, at: 1) {
            let rating = [5, 5, 4, 4, 3, 2][sequence % 6]
            let answered = try await pool.query("SELECT count(*) FROM survey_answer(\(token), \(rating)::integer, 'Quick and kind, thank you.', 'link')")
                .scalar(Int.self)
            if answered == 1 {
                lines.append("  ★ survey \(try row.decode(Int64.self, at: 0)) answered \(rating)/5 from the link in its "
                             + "\(try row.decode(String.self, at: 3)) (\(try row.decode(String.self, at: 2)))")
            }
        }
        // By reply: the customer answers the survey's SMS with only a rating.
        if let row = try await pool.query("""
            SELECT s.id, i.value FROM surveys s JOIN outbox o ON o.id = s.outbox_id
              JOIN customer_identities i ON i.customer_id = s.customer_id AND i.kind = 'phone'
             WHERE s.status = 'queued' AND o.status = 'sent' AND notify_channel(o.channel) = 'sms'
             ORDER BY s.id LIMIT 1
            """).first {
            let phone = try row.decode(String.self, at: 1)
            let reply = ["٥", "4/5", "5", "４"][sequence % 4]
            let payload = String(decoding: try JSONSerialization.data(withJSONObject: ["from": phone, "to": "+380441234567", "text": reply]),
                                 as: UTF8.self)
            try await pool.execute("""
                INSERT INTO inbound_messages (channel, external_id, payload)
                VALUES ('sms', \("survey-reply-\(sequence)"), convert_to(\(payload), 'UTF8'))
                """)
            lines.append("  ★ survey \(try row.decode(Int64.self, at: 0)): the customer replies “\(reply)” to its SMS")
        }
        return lines
    }

    /// The surveys' story and the report of today's conversations, written as HTML; returns the
    /// closing lines.
    static func report(_ pool: PostgresPool) async throws -> String {
        let counts = try await pool.query("""
            SELECT count(*) FILTER (WHERE status IN ('queued', 'answered')), count(*) FILTER (WHERE status = 'answered'),
                   count(*) FILTER (WHERE answer_source = 'link'), count(*) FILTER (WHERE answer_source = 'reply'),
                   count(*) FILTER (WHERE status IN ('skipped', 'superseded')), count(*) FILTER (WHERE status = 'scheduled')
              FROM surveys
            """)[0]
        let values = try (0..<6).map { try counts.decode(Int.self, at: $0) }
        let period = try ReportPeriod.resolve(from: nil, to: nil)
        let report = try await pool.withConnection { connection in
            try ServiceReport.read(from: period.from, to: period.to, store: nil, on: connection)
        }
        let file = FileManager.default.temporaryDirectory.appending(path: "switchboard-demo-report-\(getpid()).html")
        try Data(ReportRenderer.page(report, text: .environment()).utf8).write(to: file)
        let h = report.headline
        func shown(_ value: Double?, _ unit: String) -> String { value.map { String(format: "%.1f", $0) + unit } ?? "—" }
        return "surveys: \(values[0]) sent, \(values[1]) answered (\(values[2]) by link, \(values[3]) by reply), \(values[4]) not sent "
            + "(each says why), \(values[5]) still due\n"
            + "      report: \(h.conversations) conversations, first response \(shown(h.firstResponseHours.map { $0 * 60 }, " min")), "
            + "resolved at first contact \(shown(h.firstContactResolution, " %")), CSAT \(shown(h.csat, " %")) of \(h.csatAnswers) answers\n"
            + "      the HTML report: \(file.path)"
    }
}
