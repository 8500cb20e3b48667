public import Postgres

/// The channel a conversation and its messages travel on; `routing_channels()` in SQL.
public enum Channel: String, PostgresTextEnum, Codable {
    case email, sms, chat, social, webform, phone
}

/// Where a conversation stands (`conversations.status`).
public enum ConversationStatus: String, PostgresTextEnum, Codable {
    /// Waiting on the shop: an agent (or the team queue) has it.
    case open
    /// Waiting on the customer.
    case pending
    case resolved
    case closed

    /// Open and pending conversations count against their agent's capacity.
    public var isLive: Bool { self == .open || self == .pending }
}

/// Whether an agent takes conversations (`agents.status`).
public enum AgentStatus: String, PostgresTextEnum, Codable {
    case online, away, offline
}

/// How routing picks an agent in a team; `routing_strategies()` in SQL. docs/routing.md.
public enum RoutingStrategy: String, PostgresTextEnum, Codable {
    case roundRobin = "round_robin"
    case leastLoaded = "least_loaded"
    case skills
    case sticky
    /// Nobody is picked: the conversation waits in its team's queue for a person to assign it.
    case manual
}
