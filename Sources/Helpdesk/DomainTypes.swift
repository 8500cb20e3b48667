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

/// What ingest made of an inbound row (`inbound_messages.status`). docs/integrations.md.
public enum InboundStatus: String, PostgresTextEnum, Codable {
    /// Inserted by an integration, not ingested yet.
    case received
    /// A customer message in a conversation.
    case processed
    /// A repeated delivery of a message already ingested.
    case duplicate
    /// An auto-reply or bounce.
    case automated
    /// Kept with a reject code and reason: the payload could not be used.
    case rejected
    /// An SMS or social STOP, START or their kin: recorded as consent, not a conversation.
    case consent
    /// A reply that was only a rating: recorded as the answer to the customer's open survey.
    case surveyAnswer = "survey_answer"
}

/// What ingest made of an order event (`order_events.status`).
public enum OrderEventStatus: String, PostgresTextEnum, Codable {
    case received, applied, rejected
}
