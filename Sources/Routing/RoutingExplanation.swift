public import Helpdesk
public import Postgres
public import Foundation

/// Why a conversation is where it is: its routing state and every decision about it, each with
/// the candidates considered. What `switchboard route explain` prints; the same rows as the
/// `routing_explanations` view.
public struct RoutingExplanation: Sendable {
    public struct Candidate: Sendable, Equatable {
        public var agentID: Int64
        public var agent: String
        public var eligible: Bool
        /// Why the agent was passed over, when they were not eligible.
        public var note: String?
        public var live: Int?
        public var maxOpen: Int?
    }

    public struct Decision: Sendable {
        public var decidedAt: Date
        public var cause: String
        public var rule: String
        public var team: String
        public var strategy: RoutingStrategy
        public var priority: Int
        public var outcome: String
        public var agent: String?
        public var reason: String
        public var candidates: [Candidate]
    }

    public var conversationID: Int64
    public var status: ConversationStatus
    public var channel: Channel
    public var language: String
    public var category: String?
    public var priority: Int
    public var team: String?
    public var agent: String?
    public var firstResponseDue: Date?
    public var resolutionDue: Date?
    public var decisions: [Decision]
    /// What decided the category: "rules 3, 7", "model version 2, probability 0.84", "topic" or "agent".
    public var categoryDecidedBy: String? = nil

    /// Loads conversation `id`'s explanation; nil when there is no such conversation.
    public static func load(_ id: Int64, on connection: isolated PostgresConnection) throws -> RoutingExplanation? {
        guard let row = try connection.query("""
            SELECT c.status, c.channel, c.language, c.category, c.priority, t.name AS team, a.name AS agent,
                   c.first_response_due_at, c.resolution_due_at,
                   CASE c.category_decided_by
                        WHEN 'rules' THEN 'rules ' || array_to_string(c.category_rule_ids, ', ')
                        WHEN 'model' THEN format('model version %s, probability %s', c.category_model_version,
                                                 round(c.category_probability::numeric, 2))
                        ELSE c.category_decided_by END AS category_by
              FROM conversations c LEFT JOIN teams t ON t.id = c.team_id LEFT JOIN agents a ON a.id = c.agent_id
             WHERE c.id = \(id)
            """).first else { return nil }
        var explanation = RoutingExplanation(
            conversationID: id, status: try row.decode(ConversationStatus.self, "status"), channel: try row.decode(Channel.self, "channel"),
            language: try row.decode(String.self, "language"), category: try row.decode(String?.self, "category"),
            priority: try row.decode(Int.self, "priority"), team: try row.decode(String?.self, "team"),
            agent: try row.decode(String?.self, "agent"), firstResponseDue: try row.decode(Date?.self, "first_response_due_at"),
            resolutionDue: try row.decode(Date?.self, "resolution_due_at"), decisions: [],
            categoryDecidedBy: try row.decode(String?.self, "category_by"))
        for row in try connection.query("""
            SELECT decided_at, cause, rule_name, team, strategy, priority, outcome, agent, reason, candidates::text AS candidates
              FROM routing_explanations WHERE conversation_id = \(id) ORDER BY decision_id
            """) {
            explanation.decisions.append(Decision(
                decidedAt: try row.decode(Date.self, "decided_at"), cause: try row.decode(String.self, "cause"),
                rule: try row.decode(String.self, "rule_name"), team: try row.decode(String.self, "team"),
                strategy: try row.decode(RoutingStrategy.self, "strategy"), priority: try row.decode(Int.self, "priority"),
                outcome: try row.decode(String.self, "outcome"), agent: try row.decode(String?.self, "agent"),
                reason: try row.decode(String.self, "reason"), candidates: try Self.candidates(try row.decode(String.self, "candidates"))))
        }
        return explanation
    }

    static func candidates(_ json: String) throws -> [Candidate] {
        guard let list = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]] else { return [] }
        return list.map { entry in
            Candidate(agentID: (entry["agent_id"] as? NSNumber)?.int64Value ?? 0, agent: entry["agent"] as? String ?? "?",
                      eligible: entry["eligible"] as? Bool ?? false, note: entry["note"] as? String,
                      live: (entry["live"] as? NSNumber)?.intValue, maxOpen: (entry["max_open"] as? NSNumber)?.intValue)
        }
    }

    /// The explanation as text for a terminal.
    public var text: String {
        let stamp = Date.ISO8601FormatStyle(includingFractionalSeconds: false)
        let categoryText = (category ?? "-") + (categoryDecidedBy.map { " (by \($0))" } ?? "")
        var lines = ["conversation \(conversationID): \(status), \(channel), language \(language), category \(categoryText), priority \(priority)",
                     "team \(team ?? "-"), agent \(agent ?? "-")"
                        + (firstResponseDue.map { ", first response due \($0.formatted(stamp))" } ?? "")
                        + (resolutionDue.map { ", resolution due \($0.formatted(stamp))" } ?? "")]
        if decisions.isEmpty { lines.append("not routed yet") }
        for decision in decisions {
            lines.append("")
            lines.append("\(decision.decidedAt.formatted(stamp))  \(decision.cause): rule \"\(decision.rule)\" → team \(decision.team), "
                         + "\(decision.strategy), priority \(decision.priority): \(decision.outcome)"
                         + (decision.agent.map { " to \($0)" } ?? ""))
            lines.append("  why: \(decision.reason)")
            for candidate in decision.candidates {
                let load = candidate.live.map { load in "\(load)/\(candidate.maxOpen ?? 0)" } ?? ""
                let verdict = candidate.agent == decision.agent && decision.outcome == "assigned" ? "chosen"
                    : candidate.eligible ? "eligible, ranked lower" : "passed over: \(candidate.note ?? "not eligible")"
                lines.append("  - \(candidate.agent) (#\(candidate.agentID)) \(load)  \(verdict)")
            }
        }
        return lines.joined(separator: "\n")
    }
}
