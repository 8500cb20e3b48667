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
        guard let outcome = try await apply(batch: [id], on: connection)[id] else {
            throw IngestError(.missingRow, "order event \(id) does not exist")
        }
        return outcome
    }

    /// Applies the order events `ids` in one transaction, in the order given; returns the
    /// outcome of each that exists (a missing one has none). Throws when the transaction fails:
    /// none of them is applied then.
    public func apply(batch ids: [Int64], on connection: isolated PostgresConnection) async throws -> [Int64: OrderEventOutcome] {
        let rows = try connection.query("""
            SELECT e.id, e.payload->'customer'->>'email', e.payload->'customer'->>'phone', s.default_region
              FROM order_events e CROSS JOIN ingest_settings s WHERE e.id = ANY(\(ids)::int8[])
            """)
        var contacts: [Int64: (email: String, phone: String, note: String)] = [:]
        for row in rows {
            let region = try row.decode(String?.self, at: 3)
            var notes: [String] = []
            // A contact that does not normalise is left out (the order still counts); the audit says so.
            let email = try row.decode(String?.self, at: 1).flatMap { raw -> String? in
                do { return try ContactNormalisation.email(raw) } catch { notes.append("customer.email ignored: \(error)"); return nil }
            }
            let phone = try row.decode(String?.self, at: 2).flatMap { raw -> String? in
                do { return try ContactNormalisation.phone(raw, defaultRegion: region) } catch { notes.append("customer.phone ignored: \(error)"); return nil }
            }
            // Arrays of text cannot carry a null here: '' stands for none.
            contacts[try row.decode(Int64.self, at: 0)] = (email ?? "", phone ?? "", notes.joined(separator: "; "))
        }
        let present = ids.filter { contacts[$0] != nil }
        guard !present.isEmpty else { return [:] }
        let (emails, phones, notes) = (present.map { contacts[$0]!.email }, present.map { contacts[$0]!.phone }, present.map { contacts[$0]!.note })
        // A deadlock with a concurrent ingest of the same customer runs the whole transaction again.
        return try await connection.retryingTransient { connection in try await connection.transaction { connection in
            let results = try connection.query("""
                SELECT u.id, r.o_status, r.o_order_id, r.o_reason
                  FROM unnest(\(present)::int8[], \(emails)::text[], \(phones)::text[]) WITH ORDINALITY AS u(id, email, phone, n)
                 CROSS JOIN LATERAL apply_order_event(u.id, nullif(u.email, ''), nullif(u.phone, '')) r
                 ORDER BY u.n
                """)
            var outcomes: [Int64: OrderEventOutcome] = [:]
            for row in results {
                let id = try row.decode(Int64.self, "id")
                if try row.decode(OrderEventStatus.self, "o_status") == .rejected {
                    let reason = try row.decode(String?.self, "o_reason") ?? "rejected"
                    logger.info("order event rejected", metadata: ["order_event.id": "\(id)", "reason": "\(reason)"])
                    outcomes[id] = .rejected(reason: reason)
                } else {
                    outcomes[id] = .applied(orderID: try row.decode(Int64.self, "o_order_id"))
                }
            }
            // Applied events whose contacts were left out: the audit says which and why.
            var audited: (events: [Int64], orders: [Int64], notes: [String]) = ([], [], [])
            for (index, id) in present.enumerated() where !notes[index].isEmpty {
                guard case .applied(let orderID)? = outcomes[id] else { continue }
                audited.events.append(id)
                audited.orders.append(orderID)
                audited.notes.append(notes[index])
            }
            if !audited.events.isEmpty {
                try connection.query("""
                    INSERT INTO audit_events (kind, actor_kind, order_id, detail)
                    SELECT 'order_event_contact_ignored', 'integration', u.order_id, jsonb_build_object('event_id', u.event_id, 'notes', u.notes)
                      FROM unnest(\(audited.events)::int8[], \(audited.orders)::int8[], \(audited.notes)::text[]) AS u(event_id, order_id, notes)
                    """)
            }
            for id in present where outcomes[id] == nil {
                throw IngestError(.unexpectedResult, "apply_order_event returned nothing for order event \(id)")
            }
            return outcomes
        } }
    }
}
