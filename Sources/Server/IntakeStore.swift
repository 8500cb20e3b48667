import Foundation
import Postgres

/// One inbound message as a request delivered it.
struct InboundDelivery: Sendable {
    var store: String?
    var channel: String
    /// The provider's id for the message (`Switchboard-External-Id`).
    var externalID: String?
    var payload: Data
}

/// One order event as a request delivered it; `payloadJSON` is the event's `payload` object as JSON text.
struct OrderEventDelivery: Sendable {
    var store: String?
    var orderNumber: String
    var kind: String
    var payloadJSON: String
    /// ISO 8601, checked by the request's parser; nil means now.
    var occurredAt: String?
    /// The shop's id for the event (`event_id`).
    var eventID: String?
}

/// The row a delivery made, or the row an earlier delivery of it made.
struct IntakeReceipt: Sendable, Equatable {
    var id: Int64
    var repeated: Bool
}

/// Writes the deliveries of concurrent requests in one statement per batch (intake_inbound,
/// intake_order_events in sql/definitions/intake.sql).
struct IntakeStore: Sendable {
    let pool: PostgresPool
    /// The payloads of one statement stay under this many bytes (a bytea parameter is at most 1 GB).
    static let statementBytes = 32 * 1024 * 1024

    func write(_ deliveries: [InboundDelivery]) async throws -> [IntakeReceipt] {
        var receipts: [IntakeReceipt] = []
        for part in Self.parts(of: deliveries, size: { $0.payload.count }) {
            var blob = Data()
            var offsets: [Int64] = []
            var lengths: [Int64] = []
            for delivery in part {
                offsets.append(Int64(blob.count))
                lengths.append(Int64(delivery.payload.count))
                blob.append(delivery.payload)
            }
            let rows = try await pool.query("""
                SELECT o_id, o_repeated FROM intake_inbound(
                    intake_nulls(\(part.map { $0.store ?? "" })::text[]),
                    \(part.map(\.channel))::text[],
                    intake_nulls(\(part.map { $0.externalID ?? "" })::text[]),
                    (SELECT array_agg(substring(\(blob)::bytea FROM o::int + 1 FOR l::int) ORDER BY n)
                       FROM unnest(\(offsets)::int8[], \(lengths)::int8[]) WITH ORDINALITY AS u(o, l, n)))
                ORDER BY o_ord
                """)
            receipts += try rows.map { IntakeReceipt(id: try $0.decode(Int64.self, at: 0), repeated: try $0.decode(Bool.self, at: 1)) }
        }
        return receipts
    }

    func write(_ deliveries: [OrderEventDelivery]) async throws -> [IntakeReceipt] {
        var receipts: [IntakeReceipt] = []
        for part in Self.parts(of: deliveries, size: { $0.payloadJSON.utf8.count }) {
            let rows = try await pool.query("""
                SELECT o_id, o_repeated FROM intake_order_events(
                    intake_nulls(\(part.map { $0.store ?? "" })::text[]),
                    \(part.map(\.orderNumber))::text[],
                    \(part.map(\.kind))::text[],
                    \(part.map(\.payloadJSON))::text[]::jsonb[],
                    intake_nulls(\(part.map { $0.occurredAt ?? "" })::text[])::timestamptz[],
                    intake_nulls(\(part.map { $0.eventID ?? "" })::text[]))
                ORDER BY o_ord
                """)
            receipts += try rows.map { IntakeReceipt(id: try $0.decode(Int64.self, at: 0), repeated: try $0.decode(Bool.self, at: 1)) }
        }
        return receipts
    }

    /// Consecutive runs of `items` whose sizes add up to at most ``statementBytes`` (an item over it goes alone).
    static func parts<T>(of items: [T], size: (T) -> Int) -> [ArraySlice<T>] {
        var parts: [ArraySlice<T>] = []
        var start = items.startIndex
        var bytes = 0
        for index in items.indices {
            let itemBytes = size(items[index])
            if index > start, bytes + itemBytes > statementBytes {
                parts.append(items[start..<index])
                start = index
                bytes = 0
            }
            bytes += itemBytes
        }
        if start < items.endIndex { parts.append(items[start...]) }
        return parts
    }
}
