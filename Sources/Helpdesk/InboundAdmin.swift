public import Postgres
public import Foundation

/// One inbound row as operators see it (no payload: it may hold personal data).
public struct InboundSummary: Sendable {
    public let id: Int64
    public let channel: String?
    public let externalID: String?
    public let status: InboundStatus
    public let rejectCode: String?
    public let rejectReason: String?
    public let conversationID: Int64?
    public let receivedAt: Date
}

/// Operator actions on `inbound_messages`; each is one SQL function, so psql can do the same.
public enum InboundAdmin {
    /// Marks a rejected (or never processed) row as received again and enqueues an `ingest` job
    /// for it, e.g. after a rule or settings fix. Refuses rows that became messages: processing
    /// them again would duplicate the message.
    public static func retry(_ id: Int64, on connection: isolated PostgresConnection) throws {
        try connection.query("SELECT retry_inbound(\(id))")
    }

    /// Retries every rejected row, optionally only those with one rejection code. Returns how many.
    public static func retryRejected(code: String?, on connection: isolated PostgresConnection) throws -> Int {
        // `reject_code IS NOT NULL` rather than the status: the index of rejected rows says so.
        try connection.query("""
            SELECT count(retry_inbound(id)) FROM inbound_messages
             WHERE reject_code IS NOT NULL AND (\(code)::text IS NULL OR reject_code = \(code))
            """).scalar(Int.self)
    }

    /// The row's status, without its payload.
    public static func summary(_ id: Int64, on connection: isolated PostgresConnection) throws -> InboundSummary? {
        try summaries(where: "id = \(id)", limit: 1, on: connection).first
    }

    /// The latest rejected rows, newest first.
    public static func rejected(limit: Int, on connection: isolated PostgresConnection) throws -> [InboundSummary] {
        // Exactly the rejected rows (a CHECK says so), in the words of the index that lists them.
        try summaries(where: "reject_code IS NOT NULL", limit: limit, on: connection)
    }

    /// Row counts by status.
    public static func counts(on connection: isolated PostgresConnection) throws -> [InboundStatus: Int] {
        var counts: [InboundStatus: Int] = [:]
        for row in try connection.query("SELECT status, count(*) FROM inbound_messages GROUP BY status") {
            counts[try row.decode(InboundStatus.self, "status")] = try row.decode(Int.self, "count")
        }
        return counts
    }

    private static func summaries(where condition: PostgresQuery, limit: Int, on connection: isolated PostgresConnection) throws -> [InboundSummary] {
        try connection.query("""
            SELECT id, channel, external_id, status, reject_code, reject_reason, conversation_id, received_at
              FROM inbound_messages WHERE \(subquery: condition) ORDER BY id DESC LIMIT \(limit)
            """).map { row in
            InboundSummary(
                id: try row.decode(Int64.self, "id"), channel: try row.decode(String?.self, "channel"),
                externalID: try row.decode(String?.self, "external_id"),
                status: try row.decode(InboundStatus.self, "status"),
                rejectCode: try row.decode(String?.self, "reject_code"), rejectReason: try row.decode(String?.self, "reject_reason"),
                conversationID: try row.decode(Int64?.self, "conversation_id"), receivedAt: try row.decode(Date.self, "received_at"))
        }
    }
}
