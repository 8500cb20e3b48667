import Foundation
public import Postgres

/// A period's service report: the headline figures, the days, the CSAT ratings, the teams'
/// SLA attainment and the agents, read from the metric views (docs/metrics.md). Durations are
/// in hours or minutes, rates in percent; nil where nothing was measured.
public struct ServiceReport: Codable, Sendable {
    public struct Headline: Codable, Sendable {
        public var conversations: Int
        public var firstResponseHours: Double?, firstResponseBusinessHours: Double?
        public var resolutionHours: Double?, resolutionBusinessHours: Double?
        public var firstContactResolution: Double?, reopenRate: Double?, botDeflection: Double?
        public var firstResponseSLA: Double?, resolutionSLA: Double?
        public var csat: Double?, csatAnswers: Int, csatResponseRate: Double?
        public var nps: Double?, npsAnswers: Int
        public var ces: Double?, cesAnswers: Int
    }

    public struct Day: Codable, Sendable {
        public var day: String
        public var conversations: Int
        public var firstResponseMinutes: Double?
        public var csat: Double?
        public var nps: Double?
        public var unresolved: Int
    }

    public struct Team: Codable, Sendable {
        /// Empty for conversations without a team.
        public var name: String
        public var conversations: Int
        public var firstResponseSLA: Double?, resolutionSLA: Double?
    }

    public struct Agent: Codable, Sendable {
        public var name: String
        public var conversations: Int, resolved: Int
        public var firstResponseMinutes: Double?
        public var firstContactResolution: Double?
        public var csat: Double?, csatAnswers: Int
    }

    /// First day, inclusive; last day, exclusive (`YYYY-MM-DD`, in each store's time zone).
    public var from: String, to: String
    /// The store's code, or nil for every store.
    public var store: String?
    public var headline: Headline
    public var days: [Day]
    /// CSAT answers by rating, 1 to 5.
    public var ratings: [Int]
    public var teams: [Team]
    public var agents: [Agent]

    /// Reads the report of the conversations and surveys of `from` (inclusive) to `to`
    /// (exclusive), for `store` (a code) or every store. With `recompute`, the service figures
    /// come from every conversation's messages afresh instead of the kept facts: the
    /// straightforward query that tests and `bench surveys` compare the report with.
    public static func read(from: String, to: String, store: String?, recompute: Bool = false,
                            on connection: isolated PostgresConnection) throws -> ServiceReport {
        let figures = try oneRow(connection.query("""
            SELECT m.*, s.* FROM service_metrics(\(from)::date, \(to)::date, \(store), \(recompute)) m, survey_scores(\(from)::date, \(to)::date, \(store)) s
            """).first)
        func percent(_ column: String) throws -> Double? { try figures.decode(Double?.self, column).map { $0 * 100 } }
        func hours(_ column: String) throws -> Double? { try figures.decode(Double?.self, column).map { $0 / 3600 } }
        let headline = Headline(
            conversations: try figures.decode(Int.self, "conversations"),
            firstResponseHours: try hours("first_response_mean_s"), firstResponseBusinessHours: try hours("first_response_business_mean_s"),
            resolutionHours: try hours("resolution_mean_s"), resolutionBusinessHours: try hours("resolution_business_mean_s"),
            firstContactResolution: try percent("first_contact_resolution"), reopenRate: try percent("reopen_rate"),
            botDeflection: try percent("bot_deflection"), firstResponseSLA: try percent("first_response_sla_attainment"),
            resolutionSLA: try percent("resolution_sla_attainment"),
            csat: try figures.decode(Double?.self, "csat"), csatAnswers: try figures.decode(Int.self, "csat_answers"),
            csatResponseRate: try percent("csat_response_rate"),
            nps: try figures.decode(Double?.self, "nps"), npsAnswers: try figures.decode(Int.self, "nps_answers"),
            ces: try figures.decode(Double?.self, "ces"), cesAnswers: try figures.decode(Int.self, "ces_answers"))

        let storeFilter: PostgresQuery = "(\(store)::text IS NULL OR d.store_id = (SELECT id FROM stores WHERE code = \(store)))"
        let days = try connection.query("""
            WITH days AS (SELECT g::date AS day FROM generate_series(\(from)::date, \(to)::date - 1, interval '1 day') g),
            service AS (
                SELECT d.day, sum(d.conversations)::int8 AS conversations, sum(d.first_response_s_sum) / nullif(sum(d.responded), 0) / 60 AS frt
                  FROM service_metrics_daily_of(\(recompute)) d WHERE d.day >= \(from)::date AND d.day < \(to)::date AND \(subquery: storeFilter) GROUP BY 1),
            scores AS (
                SELECT d.day, 100.0 * sum(d.satisfied) FILTER (WHERE d.kind = 'csat') / nullif(sum(d.answered) FILTER (WHERE d.kind = 'csat'), 0) AS csat,
                       100.0 * (sum(d.promoters) FILTER (WHERE d.kind = 'nps') - sum(d.detractors) FILTER (WHERE d.kind = 'nps'))
                             / nullif(sum(d.answered) FILTER (WHERE d.kind = 'nps'), 0) AS nps
                  FROM survey_metrics_daily d WHERE d.day >= \(from)::date AND d.day < \(to)::date AND \(subquery: storeFilter) GROUP BY 1),
            backlog AS (
                SELECT b.day, sum(b.unresolved)::int8 AS unresolved
                  FROM stores st CROSS JOIN LATERAL service_backlog(st.id, \(from)::date, \(to)::date - 1, \(recompute)) b
                 WHERE \(store)::text IS NULL OR st.code = \(store) GROUP BY 1)
            SELECT days.day::text, coalesce(service.conversations, 0), service.frt::float8, scores.csat::float8, scores.nps::float8,
                   coalesce(backlog.unresolved, 0)
              FROM days LEFT JOIN service USING (day) LEFT JOIN scores USING (day) LEFT JOIN backlog USING (day)
             ORDER BY days.day
            """).map { row in
            Day(day: try row.decode(String.self, at: 0), conversations: try row.decode(Int.self, at: 1),
                firstResponseMinutes: try row.decode(Double?.self, at: 2), csat: try row.decode(Double?.self, at: 3),
                nps: try row.decode(Double?.self, at: 4), unresolved: try row.decode(Int.self, at: 5))
        }

        var ratings = [Int](repeating: 0, count: 5)
        for row in try connection.query("""
            SELECT s.rating, count(*) FROM surveys s JOIN stores st ON st.id = s.store_id
             WHERE s.kind = 'csat' AND s.rating IS NOT NULL
               AND (s.queued_at AT TIME ZONE st.time_zone)::date >= \(from)::date AND (s.queued_at AT TIME ZONE st.time_zone)::date < \(to)::date
               AND (\(store)::text IS NULL OR st.code = \(store))
             GROUP BY 1
            """) {
            let rating = try row.decode(Int.self, at: 0)
            if (1...5).contains(rating) { ratings[rating - 1] = try row.decode(Int.self, at: 1) }
        }

        let teams = try connection.query("""
            SELECT coalesce(t.name, ''), sum(d.conversations)::int8,
                   (100.0 * sum(d.first_response_sla_met) / nullif(sum(d.first_response_sla_targets), 0))::float8,
                   (100.0 * sum(d.resolution_sla_met) / nullif(sum(d.resolution_sla_targets), 0))::float8
              FROM service_metrics_daily_of(\(recompute)) d LEFT JOIN teams t ON t.id = d.team_id
             WHERE d.day >= \(from)::date AND d.day < \(to)::date AND \(subquery: storeFilter)
             GROUP BY 1 ORDER BY 2 DESC, 1
            """).map { row in
            Team(name: try row.decode(String.self, at: 0), conversations: try row.decode(Int.self, at: 1),
                 firstResponseSLA: try row.decode(Double?.self, at: 2), resolutionSLA: try row.decode(Double?.self, at: 3))
        }

        let agents = try connection.query("""
            WITH service AS (
                SELECT d.agent_id, sum(d.conversations)::int8 AS conversations, sum(d.resolved)::int8 AS resolved,
                       sum(d.first_response_s_sum) / nullif(sum(d.responded), 0) / 60 AS frt,
                       100.0 * sum(d.first_contact_resolved) / nullif(sum(d.resolved), 0) AS fcr
                  FROM service_metrics_daily_of(\(recompute)) d
                 WHERE d.agent_id IS NOT NULL AND d.day >= \(from)::date AND d.day < \(to)::date AND \(subquery: storeFilter) GROUP BY 1),
            scores AS (
                SELECT d.agent_id, 100.0 * sum(d.satisfied) / nullif(sum(d.answered), 0) AS csat, sum(d.answered)::int8 AS answers
                  FROM survey_metrics_daily d
                 WHERE d.kind = 'csat' AND d.agent_id IS NOT NULL AND d.day >= \(from)::date AND d.day < \(to)::date AND \(subquery: storeFilter)
                 GROUP BY 1)
            SELECT a.name, service.conversations, service.resolved, service.frt::float8, service.fcr::float8, scores.csat::float8,
                   coalesce(scores.answers, 0)
              FROM service JOIN agents a ON a.id = service.agent_id LEFT JOIN scores USING (agent_id)
             ORDER BY service.conversations DESC, a.name
            """).map { row in
            Agent(name: try row.decode(String.self, at: 0), conversations: try row.decode(Int.self, at: 1),
                  resolved: try row.decode(Int.self, at: 2), firstResponseMinutes: try row.decode(Double?.self, at: 3),
                  firstContactResolution: try row.decode(Double?.self, at: 4), csat: try row.decode(Double?.self, at: 5),
                  csatAnswers: try row.decode(Int.self, at: 6))
        }
        return ServiceReport(from: from, to: to, store: store, headline: headline, days: days, ratings: ratings, teams: teams, agents: agents)
    }
}

extension ServiceReport {
    /// Whether two reports give the same figures, to a millionth: sums taken in another order
    /// may differ in their last bits.
    public static func sameFigures(_ a: ServiceReport, _ b: ServiceReport) -> Bool {
        func figures(_ report: ServiceReport) -> String? {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            guard let json = try? encoder.encode(report) else { return nil }
            return String(decoding: json, as: UTF8.self)
                .replacing(/-?\d+\.\d+(?:[eE][-+]?\d+)?/) { match in String(format: "%.6f", Double(match.output) ?? .nan) }
        }
        return figures(a) != nil && figures(a) == figures(b)
    }
}

/// The one row a figures query always returns.
private func oneRow(_ row: PostgresRow?) throws -> PostgresRow {
    guard let row else { throw ReportError("the metric functions returned no row") }
    return row
}

/// A report that cannot be made, with what is wrong.
public struct ReportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
