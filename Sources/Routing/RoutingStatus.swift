public import Helpdesk
public import Postgres

/// One team's queue and staff right now (`switchboard route status`).
public struct TeamLoad: Sendable, Equatable {
    public var team: String
    /// Open conversations in the team's queue with no agent.
    public var waiting: Int
    /// Live (open or pending) conversations with an agent.
    public var assigned: Int
    public var online: Int
    public var members: Int
    /// Live conversations past one of their SLA targets.
    public var breached: Int
}

/// Where a recently routed conversation went, and where it would go with some rules changed.
public struct DryRunOutcome: Sendable, Equatable {
    public var conversationID: Int64
    public var channel: Channel
    public var language: String
    public var category: String?
    public var currentRule: String?
    public var currentTeam: String?
    public var rule: String?
    public var team: String?
    public var strategy: RoutingStrategy
    /// The agent least loaded among those eligible now, if any.
    public var firstChoice: String?
    /// The rule or the team differs from the conversation's current one.
    public var changed: Bool
}

/// Read-only views of routing for operators.
public enum RoutingStatus {
    /// Every team, by name.
    public static func teams(on connection: isolated PostgresConnection) throws -> [TeamLoad] {
        try connection.query("""
            SELECT t.name AS team,
                   (SELECT count(*) FROM conversations c WHERE c.team_id = t.id AND c.status = 'open' AND c.agent_id IS NULL) AS waiting,
                   (SELECT count(*) FROM conversations c WHERE c.team_id = t.id AND c.status IN ('open', 'pending') AND c.agent_id IS NOT NULL) AS assigned,
                   (SELECT count(*) FROM team_members m JOIN agents a ON a.id = m.agent_id WHERE m.team_id = t.id AND a.status = 'online') AS online,
                   (SELECT count(*) FROM team_members m WHERE m.team_id = t.id) AS members,
                   (SELECT count(*) FROM conversations c WHERE c.team_id = t.id AND c.status IN ('open', 'pending')
                       AND (c.first_response_breached_at IS NOT NULL OR c.resolution_breached_at IS NOT NULL
                            OR c.next_response_breached_at IS NOT NULL)) AS breached
              FROM teams t ORDER BY t.name
            """).map { row in
            TeamLoad(team: try row.decode(String.self, "team"), waiting: try row.decode(Int.self, "waiting"),
                     assigned: try row.decode(Int.self, "assigned"), online: try row.decode(Int.self, "online"),
                     members: try row.decode(Int.self, "members"), breached: try row.decode(Int.self, "breached"))
        }
    }

    /// `routing_dry_run()`: the latest `last` routed conversations under the rules as changed by
    /// `enable` and `disable` (rule ids). Changes nothing.
    public static func dryRun(last: Int, enable: [Int64] = [], disable: [Int64] = [],
                              on connection: isolated PostgresConnection) throws -> [DryRunOutcome] {
        try connection.query("SELECT * FROM routing_dry_run(\(last)::integer, \(enable), \(disable))").map { row in
            DryRunOutcome(conversationID: try row.decode(Int64.self, "conversation_id"), channel: try row.decode(Channel.self, "channel"),
                          language: try row.decode(String.self, "language"), category: try row.decode(String?.self, "category"),
                          currentRule: try row.decode(String?.self, "current_rule"), currentTeam: try row.decode(String?.self, "current_team"),
                          rule: try row.decode(String?.self, "rule"), team: try row.decode(String?.self, "team"),
                          strategy: try row.decode(RoutingStrategy.self, "strategy"), firstChoice: try row.decode(String?.self, "first_choice"),
                          changed: try row.decode(Bool.self, "changed"))
        }
    }
}
