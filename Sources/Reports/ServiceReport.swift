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
        // The days, teams and agents in one pass over the period's per-conversation sums, and the
        // surveys' days, agents and CSAT ratings in another (grouping sets), so that a month over a
        // year of history stays quick.
        var serviceByDay: [String: (conversations: Int, frt: Double?)] = [:]
        var teamRows: [(id: Int64?, conversations: Int, firstSLA: Double?, resolutionSLA: Double?)] = []
        var agentRows: [Int64: (conversations: Int, resolved: Int, frt: Double?, fcr: Double?)] = [:]
        for row in try connection.query("""
            SELECT CASE WHEN grouping(d.day) = 0 THEN 'day' WHEN grouping(d.team_id) = 0 THEN 'team' ELSE 'agent' END,
                   d.day::text, d.team_id, d.agent_id, sum(d.conversations)::int8, sum(d.resolved)::int8,
                   (sum(d.first_response_s_sum) / nullif(sum(d.responded), 0))::float8,
                   (100.0 * sum(d.first_contact_resolved) / nullif(sum(d.resolved), 0))::float8,
                   (100.0 * sum(d.first_response_sla_met) / nullif(sum(d.first_response_sla_targets), 0))::float8,
                   (100.0 * sum(d.resolution_sla_met) / nullif(sum(d.resolution_sla_targets), 0))::float8
              FROM service_sums_of(\(recompute)) d
             WHERE d.day >= \(from)::date AND d.day < \(to)::date AND \(subquery: storeFilter)
             GROUP BY GROUPING SETS ((d.day), (d.team_id), (d.agent_id))
            """) {
            let conversations = try row.decode(Int.self, at: 4)
            let firstResponse = try row.decode(Double?.self, at: 6)
            switch try row.decode(String.self, at: 0) {
            case "day": serviceByDay[try row.decode(String.self, at: 1)] = (conversations, firstResponse.map { $0 / 60 })
            case "team": teamRows.append((try row.decode(Int64?.self, at: 2), conversations, try row.decode(Double?.self, at: 8),
                                          try row.decode(Double?.self, at: 9)))
            default:
                if let agent = try row.decode(Int64?.self, at: 3) {
                    agentRows[agent] = (conversations, try row.decode(Int.self, at: 5), firstResponse.map { $0 / 60 }, try row.decode(Double?.self, at: 7))
                }
            }
        }
        var scoresByDay: [String: (csat: Double?, nps: Double?)] = [:]
        var agentScores: [Int64: (csat: Double?, answers: Int)] = [:]
        var ratings = [Int](repeating: 0, count: 5)
        for row in try connection.query("""
            SELECT CASE WHEN grouping(d.day) = 0 THEN 'day' WHEN grouping(a.agent_id) = 0 THEN 'agent' ELSE 'rating' END,
                   d.day::text, a.agent_id, d.rating_sum,
                   (100.0 * sum(d.satisfied) FILTER (WHERE d.kind = 'csat') / nullif(sum(d.answered) FILTER (WHERE d.kind = 'csat'), 0))::float8,
                   (100.0 * (sum(d.promoters) FILTER (WHERE d.kind = 'nps') - sum(d.detractors) FILTER (WHERE d.kind = 'nps'))
                          / nullif(sum(d.answered) FILTER (WHERE d.kind = 'nps'), 0))::float8,
                   coalesce(sum(d.answered) FILTER (WHERE d.kind = 'csat'), 0)::int8
              FROM survey_sums_of(\(from)::date, \(to)::date) d
              -- The agent only where an agent's figure needs it, the answered CSAT surveys: a null key looks nothing up.
              LEFT JOIN conversations a ON a.id = CASE WHEN d.kind = 'csat' AND d.answered = 1 THEN d.conversation_id END
             WHERE \(subquery: storeFilter)
             GROUP BY GROUPING SETS ((d.day), (a.agent_id), (d.rating_sum))
            """) {
            let (csat, nps, csatAnswers) = (try row.decode(Double?.self, at: 4), try row.decode(Double?.self, at: 5), try row.decode(Int.self, at: 6))
            switch try row.decode(String.self, at: 0) {
            case "day": scoresByDay[try row.decode(String.self, at: 1)] = (csat, nps)
            case "agent": if let agent = try row.decode(Int64?.self, at: 2) { agentScores[agent] = (csat, csatAnswers) }
            default:
                // The CSAT answers of each rating (rating_sum is a survey's own rating).
                let rating = try row.decode(Int.self, at: 3)
                if (1...5).contains(rating) { ratings[rating - 1] = csatAnswers }
            }
        }
        let days = try connection.query("""
            WITH days AS (SELECT g::date AS day FROM generate_series(\(from)::date, \(to)::date - 1, interval '1 day') g),
            backlog AS (
                SELECT b.day, sum(b.unresolved)::int8 AS unresolved
                  FROM stores st CROSS JOIN LATERAL service_backlog(st.id, \(from)::date, \(to)::date - 1, \(recompute)) b
                 WHERE \(store)::text IS NULL OR st.code = \(store) GROUP BY 1)
            SELECT days.day::text, coalesce(backlog.unresolved, 0) FROM days LEFT JOIN backlog USING (day) ORDER BY days.day
            """).map { row in
            let day = try row.decode(String.self, at: 0)
            return Day(day: day, conversations: serviceByDay[day]?.conversations ?? 0, firstResponseMinutes: serviceByDay[day]?.frt ?? nil,
                       csat: scoresByDay[day]?.csat ?? nil, nps: scoresByDay[day]?.nps ?? nil, unresolved: try row.decode(Int.self, at: 1))
        }

        let teamNames = try names(of: "teams", teamRows.compactMap(\.id), on: connection)
        let teams = teamRows.map { row in
            Team(name: row.id.flatMap { teamNames[$0] } ?? "", conversations: row.conversations, firstResponseSLA: row.firstSLA,
                 resolutionSLA: row.resolutionSLA)
        }.sorted { ($0.conversations, $1.name) > ($1.conversations, $0.name) }
        let agentNames = try names(of: "agents", Array(agentRows.keys), on: connection)
        let agents = agentRows.compactMap { id, row -> Agent? in
            guard let name = agentNames[id] else { return nil }
            return Agent(name: name, conversations: row.conversations, resolved: row.resolved, firstResponseMinutes: row.frt,
                         firstContactResolution: row.fcr, csat: agentScores[id]?.csat ?? nil, csatAnswers: agentScores[id]?.answers ?? 0)
        }.sorted { ($0.conversations, $1.name) > ($1.conversations, $0.name) }
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
        guard let first = figures(a) else { return false }
        return first == figures(b)
    }
}

/// The names of the teams or agents with `ids`.
private func names(of table: String, _ ids: [Int64], on connection: isolated PostgresConnection) throws -> [Int64: String] {
    var names: [Int64: String] = [:]
    for row in try connection.query("SELECT id, name FROM \(identifier: table) WHERE id = ANY (\(ids))") {
        names[try row.decode(Int64.self, at: 0)] = try row.decode(String.self, at: 1)
    }
    return names
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
