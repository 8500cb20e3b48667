public import Postgres
public import Logging
import Foundation
import InboundParsing

/// What ingesting one inbound row did.
public enum IngestOutcome: Sendable, Equatable {
    /// The row was already handled (a repeated job); its status.
    case alreadyHandled(status: String)
    /// Kept and marked rejected with this code.
    case rejected(code: String)
    /// A repeated delivery of a message already in a conversation.
    case duplicate(messageID: Int64?, conversationID: Int64?)
    /// An auto-reply or bounce, recorded on the thread it answers when there is one.
    case automated(conversationID: Int64?)
    /// A customer message in a conversation: new, threaded into a live one, or reopening one.
    case conversation(ConversationOutcome)
}

public struct ConversationOutcome: Sendable, Equatable {
    public enum Placement: String, Sendable { case new = "new_conversation", threaded, reopened }
    public let placement: Placement
    public let conversationID: Int64
    public let messageID: Int64
    public let customerID: Int64
    /// The intent a bot answered, when it did.
    public let autoAnswered: String?
}

/// Turns `inbound_messages` rows into conversation messages: parses the payload, detects the
/// language, and hands the rest to `ingest_message()` in one transaction (dedupe, identity,
/// threading, order links, category, priority, the automatic answer, the route job).
public struct InboundIngestor: Sendable {
    public let logger: Logger

    public init(logger: Logger = Logger(label: "switchboard.ingest")) {
        self.logger = logger
    }

    /// Ingests row `id`. Safe to run again for the same row (jobs are at-least-once): a handled
    /// row is left alone. Bad input never throws; it ends as a rejected row.
    public func ingest(_ id: Int64, on connection: isolated PostgresConnection) async throws -> IngestOutcome {
        let rows = try connection.query("""
            SELECT i.status, coalesce(i.channel, ''), octet_length(i.payload), s.max_payload_bytes, s.default_region,
                   CASE WHEN octet_length(i.payload) <= s.max_payload_bytes THEN i.payload END
              FROM inbound_messages i CROSS JOIN ingest_settings s
             WHERE i.id = \(id)
            """)
        guard let row = rows.first else { throw IngestError("inbound message \(id) does not exist") }
        let status = try row.decode(String.self, at: 0)
        guard status == "received" else { return .alreadyHandled(status: status) }
        let channel = try row.decode(String.self, at: 1)
        let size = try row.decode(Int?.self, at: 2)
        let parser = InboundParser(maximumBytes: try row.decode(Int.self, at: 3), defaultRegion: try row.decode(String?.self, at: 4))
        // Too large payloads are not even fetched; the parser still says so in its own words.
        let payload = try row.decode(Data?.self, at: 5) ?? Data(count: 0)

        let message: InboundMessage
        do {
            if let size, size > parser.maximumBytes {
                throw InboundRejection(.tooLarge, "the payload is \(size) bytes; the limit is \(parser.maximumBytes)")
            }
            if size == nil, !channel.isEmpty, Channel(rawValue: channel) != nil {
                throw InboundRejection(.malformed, "the row has no payload")
            }
            message = try parser.parse(channel: channel, payload: payload)
        } catch let rejection as InboundRejection {
            try connection.query("SELECT reject_inbound(\(id), \(rejection.code.rawValue), \(rejection.message))")
            logger.info("inbound message rejected", metadata: ["inbound.id": "\(id)", "reason": "\(rejection.code.rawValue)"])
            return .rejected(code: rejection.code.rawValue)
        }

        let input = IngestInput(message)
        var attempt = 1
        while true {
            do {
                return try await connection.transaction { connection in try store(id, input, on: connection) }
            } catch let error as PostgresError where error.isTransient && attempt < 4 {
                // A concurrent delivery of the same message or the same new customer: the next
                // try sees what the other transaction committed.
                attempt += 1
                logger.debug("ingest retried", metadata: ["inbound.id": "\(id)", "error": "\(error.sqlState ?? "")"])
            }
        }
    }

    private func store(_ id: Int64, _ input: IngestInput, on connection: isolated PostgresConnection) throws -> IngestOutcome {
        // Not waiting for the WAL flush is safe here: the job's completion is committed after this
        // transaction, and WAL is durable in order, so a crash that loses this commit loses the
        // completion too and the job runs again (docs/ingest.md, "Durability").
        let results = try connection.pipeline([
            "SET LOCAL synchronous_commit = off",
            """
            SELECT o_outcome, o_conversation_id, o_message_id, o_customer_id, o_answer_intent, o_answer_locale,
                   o_answer_template, o_answer_context::text
              FROM ingest_message(\(id), \(json: input))
            """,
        ])
        guard let row = try results[1].get().first else { throw IngestError("ingest_message returned nothing for inbound message \(id)") }
        let outcome = try row.decode(String.self, at: 0)
        let conversationID = try row.decode(Int64?.self, at: 1)
        let messageID = try row.decode(Int64?.self, at: 2)
        switch outcome {
        case "rejected":
            return .rejected(code: try connection.query("SELECT reject_code FROM inbound_messages WHERE id = \(id)").scalar(String.self))
        case "duplicate": return .duplicate(messageID: messageID, conversationID: conversationID)
        case "automated": return .automated(conversationID: conversationID)
        case let other where other.hasPrefix("already_"): return .alreadyHandled(status: String(other.dropFirst("already_".count)))
        default: break
        }
        guard let conversationID, let messageID, let placement = ConversationOutcome.Placement(rawValue: outcome) else {
            throw IngestError("ingest_message returned '\(outcome)' without a conversation for inbound message \(id)")
        }
        var answered: String?
        if let intent = try row.decode(String?.self, at: 4), let locale = try row.decode(String?.self, at: 5),
           let template = try row.decode(String?.self, at: 6), let context = try row.decode(String?.self, at: 7) {
            do {
                let body = try AutoAnswerRenderer.render(template: template, contextJSON: context)
                try connection.query("SELECT record_auto_answer(\(conversationID), \(intent), \(locale), \(body))")
                answered = intent
            } catch let error as AutoAnswerTemplateError {
                // The customer still gets a person: route it, and leave the admin a trace.
                try connection.query("""
                    WITH audit AS (
                        INSERT INTO audit_events (kind, conversation_id, detail)
                        VALUES ('auto_answer_failed', \(conversationID),
                                jsonb_build_object('intent', \(intent)::text, 'locale', \(locale)::text, 'error', \(error.description)::text)))
                    SELECT request_route(\(conversationID))
                    """)
                logger.warning("automatic answer template failed", metadata: ["conversation.id": "\(conversationID)", "intent": "\(intent)", "error": "\(error.description)"])
            }
        }
        return .conversation(ConversationOutcome(placement: placement, conversationID: conversationID, messageID: messageID,
                                                 customerID: try row.decode(Int64.self, at: 3), autoAnswered: answered))
    }
}

/// An ingest step failed for a reason that is not the input's fault (missing row, database).
public struct IngestError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension PostgresError {
    /// Serialization failures and deadlocks: the transaction may simply be run again.
    var isTransient: Bool { sqlState == "40001" || sqlState == "40P01" }
}
