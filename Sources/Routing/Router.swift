public import Helpdesk
public import Postgres
public import Logging
import Foundation

/// What one routing decision did.
public struct RoutingDecision: Sendable, Equatable {
    public enum Outcome: String, Sendable, PostgresDecodable {
        case assigned, queued

        public static func decode(from cell: PostgresCell) throws -> Outcome {
            guard let outcome = Outcome(rawValue: try String.decode(from: cell)) else {
                throw cell.error(decoding: Outcome.self, reason: "not a routing outcome")
            }
            return outcome
        }
    }
    public var id: Int64
    public var conversationID: Int64
    public var outcome: Outcome
    public var teamID: Int64
    public var agentID: Int64?
    public var rule: String
    public var strategy: RoutingStrategy
    public var reason: String
}

extension RoutingDecision {
    /// A row of `routing_decisions` (or a function returning its columns), by column name.
    fileprivate init(row: PostgresRow) throws {
        self.init(id: try row.decode(Int64.self, "id"), conversationID: try row.decode(Int64.self, "conversation_id"),
                  outcome: try row.decode(Outcome.self, "outcome"),
                  teamID: try row.decode(Int64.self, "team_id"), agentID: try row.decode(Int64?.self, "agent_id"),
                  rule: try row.decode(String.self, "rule_name"), strategy: try row.decode(RoutingStrategy.self, "strategy"),
                  reason: try row.decode(String.self, "reason"))
    }
}

/// What a batch did with one conversation.
public enum BatchRouting: Sendable, Equatable {
    /// Routed: assigned, or queued in its team.
    case decided(RoutingDecision)
    /// Needed no routing (not open, or already assigned).
    case skipped
    /// Another transaction held the conversation or the agent the decision must wait for.
    case deferred
    /// No such conversation.
    case missing

    var isDecided: Bool { if case .decided = self { true } else { false } }
}

/// Routes conversations through `route_conversation()` and runs the SLA check. The rules live in
/// SQL and are read by every decision, so a committed rule change applies to the next one.
public struct Router: Sendable {
    public let logger: Logger

    public init(logger: Logger = Logger(label: "switchboard.routing")) {
        self.logger = logger
    }

    /// Routes conversation `id`; nil when it needed no routing (already assigned, pending,
    /// resolved). Deadlocks and serialization failures are retried a few times at once.
    public func route(_ id: Int64, cause: String = "route", on connection: isolated PostgresConnection) async throws -> RoutingDecision? {
        try await connection.retryingTransient { connection in
            // Not waiting for the WAL flush is safe: the job's completion commits after this, and
            // WAL is durable in order, so a crash that loses this decision loses the completion
            // too and the job routes the conversation again (docs/routing.md, "Durability").
            // set_config(…, true) lasts until this one-statement transaction commits.
            let rows = try connection.query("""
                SELECT d.id, d.conversation_id, d.outcome, d.team_id, d.agent_id, d.rule_name, d.strategy, d.reason
                  FROM set_config('synchronous_commit', 'off', true) AS durability,
                       LATERAL route_conversation(\(id), \(cause)) d
                 WHERE d.id IS NOT NULL
                """)
            guard let row = rows.first else { return nil }
            let decision = try RoutingDecision(row: row)
            logger.debug("routed", metadata: ["conversation.id": "\(id)", "outcome": "\(decision.outcome.rawValue)",
                                              "agent.id": "\(decision.agentID.map(String.init) ?? "-")"])
            return decision
        }
    }

    /// Routes conversations `ids` in one transaction through `route_conversations()`, deciding each
    /// as ``route(_:cause:on:)`` would; returns what happened to each distinct id.
    public func route(batch ids: [Int64], cause: String = "route", on connection: isolated PostgresConnection) async throws -> [Int64: BatchRouting] {
        try await connection.retryingTransient { connection in
            // Durability as in route(_:cause:on:).
            let rows = try connection.query("""
                SELECT d.decision_id AS id, d.conversation_id, d.outcome, d.team_id, d.agent_id, d.rule_name, d.strategy, d.reason
                  FROM set_config('synchronous_commit', 'off', true) AS durability,
                       LATERAL route_conversations(\(ids), \(cause)) d
                """)
            var results: [Int64: BatchRouting] = [:]
            for row in rows {
                let id = try row.decode(Int64.self, "conversation_id")
                switch try row.decode(String.self, "outcome") {
                case "skipped": results[id] = .skipped
                case "deferred": results[id] = .deferred
                case "missing": results[id] = .missing
                default: results[id] = .decided(try RoutingDecision(row: row))
                }
            }
            logger.debug("routed a batch", metadata: ["conversations": "\(ids.count)", "decided": "\(results.values.filter(\.isDecided).count)"])
            return results
        }
    }

    /// Gives agent `id` what waits for them while they have room; returns how many they got.
    public func offerWaiting(to agentID: Int64, on connection: isolated PostgresConnection) async throws -> Int {
        try await connection.retryingTransient { connection in try connection.query("SELECT offer_waiting(\(agentID))").scalar(Int.self) }
    }

    /// ``offerWaiting(to:on:)`` for every online agent with room.
    public func offerWaitingToAll(on connection: isolated PostgresConnection) async throws -> Int {
        try await connection.retryingTransient { connection in try connection.query("SELECT offer_waiting_all()").scalar(Int.self) }
    }

    /// Requests a route job for every waiting conversation, so that changed rules apply to them.
    public func rerouteWaiting(on connection: isolated PostgresConnection) async throws -> Int {
        try await connection.retryingTransient { connection in try connection.query("SELECT reroute_waiting()").scalar(Int.self) }
    }

    /// Marks SLA breaches due by now and escalates them; returns how many were marked.
    public func checkSLA(on connection: isolated PostgresConnection) async throws -> Int {
        try await connection.retryingTransient { connection in try connection.query("SELECT check_sla_breaches()").scalar(Int.self) }
    }
}
