public import Helpdesk
public import Postgres

/// A team as an admin creates it.
public struct TeamSetup: Sendable {
    public var name: String
    public var defaultStrategy: RoutingStrategy
    public var supervisorEmail: String?

    public init(_ name: String, defaultStrategy: RoutingStrategy = .roundRobin, supervisorEmail: String? = nil) {
        self.name = name
        self.defaultStrategy = defaultStrategy
        self.supervisorEmail = supervisorEmail
    }
}

/// An agent as an admin creates them: teams by name, capacity per channel, skills with levels 1–5.
public struct AgentSetup: Sendable {
    public var name: String
    public var email: String
    public var status: AgentStatus
    public var teams: [String]
    public var capacity: [Channel: Int]
    public var languages: [String: Int]
    public var categories: [String: Int]

    public init(_ name: String, email: String? = nil, status: AgentStatus = .online, teams: [String] = ["General"],
                capacity: [Channel: Int] = [.chat: 3, .email: 12], languages: [String: Int] = ["en": 3],
                categories: [String: Int] = [:]) {
        self.name = name
        self.email = email ?? "\(name.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "." })@shop.test"
        self.status = status
        self.teams = teams
        self.capacity = capacity
        self.languages = languages
        self.categories = categories
    }
}

/// A routing rule as an admin writes it: conditions (empty means any), then the team and how.
public struct RuleSetup: Sendable {
    public var name: String
    public var position: Int
    public var team: String
    public var strategy: RoutingStrategy
    public var channels: [Channel]
    public var languages: [String]
    public var categories: [String]
    public var tiers: [String]
    public var keywordPattern: String?
    public var priority: Int?
    public var requireLanguage: Bool

    public init(_ name: String, position: Int, team: String, strategy: RoutingStrategy = .roundRobin, channels: [Channel] = [],
                languages: [String] = [], categories: [String] = [], tiers: [String] = [], keywordPattern: String? = nil,
                priority: Int? = nil, requireLanguage: Bool = true) {
        self.name = name
        self.position = position
        self.team = team
        self.strategy = strategy
        self.channels = channels
        self.languages = languages
        self.categories = categories
        self.tiers = tiers
        self.keywordPattern = keywordPattern
        self.priority = priority
        self.requireLanguage = requireLanguage
    }
}

/// Teams, agents and rules written the way an admin's SQL writes them (so every constraint and
/// trigger applies), one statement per table: the one way the demo, the benchmarks and the tests
/// set up routing.
public enum RoutingSetup {
    /// Creates the teams; returns their ids in order.
    @discardableResult
    public static func add(teams: [TeamSetup], on connection: isolated PostgresConnection) throws -> [Int64] {
        try teams.map { team in
            try connection.query("""
                INSERT INTO teams (name, default_strategy, supervisor_email)
                VALUES (\(team.name), \(team.defaultStrategy), \(team.supervisorEmail)) RETURNING id
                """).scalar(Int64.self)
        }
    }

    /// Creates the agents with their team memberships, capacity and skills; returns their ids in order.
    @discardableResult
    public static func add(agents: [AgentSetup], on connection: isolated PostgresConnection) throws -> [Int64] {
        let ids = try Dictionary(uniqueKeysWithValues: connection.query("""
            INSERT INTO agents (email, name, status)
            SELECT a.email, a.name, a.status
              FROM unnest(\(agents.map(\.email))::text[], \(agents.map(\.name))::text[], \(agents.map(\.status))::text[])
                   WITH ORDINALITY AS a(email, name, status, n)
             ORDER BY a.n
            RETURNING email, id
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(Int64.self, at: 1)) })
        let agentIDs = agents.map { ids[$0.email]! }
        var members: (agents: [Int64], teams: [String]) = ([], [])
        var capacity: (agents: [Int64], channels: [Channel], maxOpen: [Int]) = ([], [], [])
        var skills: (agents: [Int64], kinds: [String], values: [String], levels: [Int]) = ([], [], [], [])
        for (agent, id) in zip(agents, agentIDs) {
            for team in agent.teams { members.agents.append(id); members.teams.append(team) }
            for (channel, maxOpen) in agent.capacity.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                capacity.agents.append(id); capacity.channels.append(channel); capacity.maxOpen.append(maxOpen)
            }
            for (kind, levels) in [("language", agent.languages), ("category", agent.categories)] {
                for (value, level) in levels.sorted(by: { $0.key < $1.key }) {
                    skills.agents.append(id); skills.kinds.append(kind); skills.values.append(value); skills.levels.append(level)
                }
            }
        }
        let unknownTeams = try connection.query("""
            SELECT DISTINCT t FROM unnest(\(members.teams)::text[]) t WHERE NOT EXISTS (SELECT 1 FROM teams WHERE name = t) ORDER BY t
            """).map { try $0.decode(String.self, at: 0) }
        guard unknownTeams.isEmpty else { throw RoutingSetupError.unknownTeams(unknownTeams) }
        try connection.execute("""
            INSERT INTO team_members (team_id, agent_id)
            SELECT t.id, m.agent FROM unnest(\(members.agents)::bigint[], \(members.teams)::text[]) AS m(agent, team)
              JOIN teams t ON t.name = m.team
            """)
        try connection.execute("""
            INSERT INTO agent_capacity (agent_id, channel, max_open)
            SELECT * FROM unnest(\(capacity.agents)::bigint[], \(capacity.channels)::text[], \(capacity.maxOpen)::int[])
            """)
        try connection.execute("""
            INSERT INTO agent_skills (agent_id, kind, value, level)
            SELECT * FROM unnest(\(skills.agents)::bigint[], \(skills.kinds)::text[], \(skills.values)::text[], \(skills.levels)::int[])
            """)
        return agentIDs
    }

    /// Creates the rules; returns their ids in order.
    @discardableResult
    public static func add(rules: [RuleSetup], on connection: isolated PostgresConnection) throws -> [Int64] {
        var ids: [Int64] = []
        for rule in rules {
            // Array conditions do not nest in unnest(): one statement per rule (rules are few).
            let id = try connection.query("""
                INSERT INTO routing_rules (name, position, team_id, strategy, channels, languages, categories, tiers,
                                           keyword_pattern, priority, require_language)
                SELECT \(rule.name), \(rule.position), t.id, \(rule.strategy), \(rule.channels)::text[], \(rule.languages)::text[],
                       \(rule.categories)::text[], \(rule.tiers)::text[], \(rule.keywordPattern), \(rule.priority)::smallint, \(rule.requireLanguage)
                  FROM teams t WHERE t.name = \(rule.team)
                RETURNING id
                """).first?.decode(Int64.self, at: 0)
            guard let id else { throw RoutingSetupError.unknownTeams([rule.team]) }
            ids.append(id)
        }
        return ids
    }
}

/// Why a setup could not be written (the database's own refusals arrive as `PostgresError`).
public enum RoutingSetupError: Error, CustomStringConvertible, Sendable, Equatable {
    case unknownTeams([String])

    public var description: String {
        switch self {
        case .unknownTeams(let names): return "no team named \(names.joined(separator: ", ")); create it first"
        }
    }
}
