import Helpdesk
public import Postgres
public import Logging
import Foundation
import Identity

/// What applying one order event did.
public enum OrderEventOutcome: Sendable, Equatable {
    case applied(orderID: Int64)
    case rejected(reason: String)
}

/// Applies `order_events` rows to `orders` through `apply_order_event()`, after normalising the
/// customer's email and phone the same way inbound messages are, so the order lands on the
/// customer who writes in.
public struct OrderEventApplier: Sendable {
    public let logger: Logger

    public init(logger: Logger = Logger(label: "switchboard.ingest.orders")) {
        self.logger = logger
    }

    public func apply(_ id: Int64, on connection: isolated PostgresConnection) async throws -> OrderEventOutcome {
        guard let row = try connection.query("""
            SELECT e.payload->'customer'->>'email', e.payload->'customer'->>'phone', s.default_region
              FROM order_events e CROSS JOIN ingest_settings s WHERE e.id = \(id)
            """).first else { throw IngestError(.missingRow, "order event \(id) does not exist") }
        let region = try row.decode(String?.self, at: 2)
        var notes: [String] = []
        // A contact that does not normalise is left out (the order still counts); the audit says so.
        let email = try row.decode(String?.self, at: 0).flatMap { raw -> String? in
            do { return try ContactNormalisation.email(raw) } catch { notes.append("customer.email ignored: \(error)"); return nil }
        }
        let phone = try row.decode(String?.self, at: 1).flatMap { raw -> String? in
            do { return try ContactNormalisation.phone(raw, defaultRegion: region) } catch { notes.append("customer.phone ignored: \(error)"); return nil }
        }
        let note = notes.joined(separator: "; ")
        // A deadlock with a concurrent ingest of the same customer runs the whole transaction again.
        return try await connection.retryingTransient { connection in try await connection.transaction { connection in
            let result = try connection.query("SELECT o_status, o_order_id, o_reason FROM apply_order_event(\(id), \(email), \(phone))")
            guard let row = result.first else { throw IngestError(.unexpectedResult, "apply_order_event returned nothing for order event \(id)") }
            if try row.decode(OrderEventStatus.self, "o_status") == .rejected {
                let reason = try row.decode(String?.self, "o_reason") ?? "rejected"
                logger.info("order event rejected", metadata: ["order_event.id": "\(id)", "reason": "\(reason)"])
                return .rejected(reason: reason)
            }
            let orderID = try row.decode(Int64.self, "o_order_id")
            if !note.isEmpty {
                try connection.query("""
                    INSERT INTO audit_events (kind, actor_kind, order_id, detail)
                    VALUES ('order_event_contact_ignored', 'integration', \(orderID),
                            jsonb_build_object('event_id', \(id)::bigint, 'notes', \(note)::text))
                    """)
            }
            return .applied(orderID: orderID)
        } }
    }
}
