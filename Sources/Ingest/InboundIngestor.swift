public import Categories
public import Helpdesk
public import Postgres
public import Logging
import Foundation
import InboundParsing

/// What ingesting one inbound row did.
public enum IngestOutcome: Sendable, Equatable {
    /// The row was already handled (a repeated job); its status.
    case alreadyHandled(status: InboundStatus)
    /// Kept and marked rejected with this code.
    case rejected(code: String)
    /// A repeated delivery of a message already in a conversation.
    case duplicate(messageID: Int64?, conversationID: Int64?)
    /// An auto-reply or bounce, recorded on the thread it answers when there is one.
    case automated(conversationID: Int64?)
    /// A consent keyword (STOP, СТОП, START…) from this customer: recorded as consent events.
    case consent(customerID: Int64)
    /// A reply that is only a rating, recorded as this customer's answer to their open survey.
    case surveyAnswer(customerID: Int64)
    /// A customer message in a conversation: new, threaded into a live one, or reopening one.
    case conversation(ConversationOutcome)
    /// Not ingested yet: another transaction was ingesting the same customer's messages. Only
    /// when the batch was told not to wait; ingest the row again.
    case deferred
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

/// Turns `inbound_messages` rows into conversation messages: parses the payloads, detects the
/// languages, and hands the rest to `ingest_batch()` in one transaction (dedupe, identity,
/// threading, order links, category, priority, the automatic answer, the route job).
public struct InboundIngestor: Sendable {
    public let logger: Logger
    /// Where the category model comes from; nil: the rules alone decide categories.
    public let categories: CategoryModelCache?

    public init(logger: Logger = Logger(label: "switchboard.ingest"),
                categories: CategoryModelCache? = CategoryModelCache()) {
        self.logger = logger
        self.categories = categories
    }

    /// Ingests row `id`. Safe to run again for the same row (jobs are at-least-once): a handled
    /// row is left alone. Bad input never throws; it ends as a rejected row.
    public func ingest(_ id: Int64, on connection: isolated PostgresConnection) async throws -> IngestOutcome {
        guard let outcome = try await ingest([id], on: connection)[id] else { throw IngestError(.missingRow, "inbound message \(id) does not exist") }
        return try outcome.get()
    }

    /// Ingests rows `ids` together, in one transaction. Each id maps to its outcome, or to an
    /// ``IngestError`` when the row does not exist. Unless `waitForBusyCustomers`, the messages
    /// of a customer another transaction is ingesting come back ``IngestOutcome/deferred``
    /// rather than waiting for it.
    public func ingest(_ ids: [Int64], waitForBusyCustomers: Bool = true,
                       on connection: isolated PostgresConnection) async throws -> [Int64: Result<IngestOutcome, IngestError>] {
        var outcomes: [Int64: Result<IngestOutcome, IngestError>] = [:]
        var rejections: (ids: [Int64], codes: [String], reasons: [String]) = ([], [], [])
        var parsed: (ids: [Int64], inputs: [String]) = ([], [])
        let model = await categories?.current(on: connection)
        for row in try connection.query("""
            SELECT i.id, i.status, coalesce(i.channel, ''), octet_length(i.payload), s.max_payload_bytes, s.default_region,
                   CASE WHEN octet_length(i.payload) <= s.max_payload_bytes THEN i.payload END
              FROM inbound_messages i CROSS JOIN ingest_settings s
             WHERE i.id = ANY (\(ids))
            """) {
            let id = try row.decode(Int64.self, at: 0)
            let status = try row.decode(InboundStatus.self, at: 1)
            guard status == .received else { outcomes[id] = .success(.alreadyHandled(status: status)); continue }
            let parser = InboundParser(maximumBytes: try row.decode(Int.self, at: 4), defaultRegion: try row.decode(String?.self, at: 5))
            do {
                let message = try Self.parse(channel: try row.decode(String.self, at: 2), size: try row.decode(Int?.self, at: 3),
                                             payload: try row.decode(Data?.self, at: 6), parser: parser)
                var input = IngestInput(message)
                if let model, let guess = model.model.predict(input.matchText).first {
                    input.categoryModel = .init(category: guess.category, probability: guess.probability, version: model.version)
                }
                parsed.ids.append(id)
                parsed.inputs.append(String(decoding: try Self.encoder.encode(input), as: UTF8.self))
            } catch let rejection as InboundRejection {
                rejections.ids.append(id)
                rejections.codes.append(rejection.code.rawValue)
                rejections.reasons.append(rejection.message)
                outcomes[id] = .success(.rejected(code: rejection.code.rawValue))
                logger.info("inbound message rejected", metadata: ["inbound.id": "\(id)", "reason": "\(rejection.code.rawValue)"])
            }
        }
        for id in ids where outcomes[id] == nil && !parsed.ids.contains(id) {
            outcomes[id] = .failure(IngestError(.missingRow, "inbound message \(id) does not exist"))
        }
        guard !parsed.ids.isEmpty || !rejections.ids.isEmpty else { return outcomes }

        let (toStore, toReject) = (parsed, rejections)
        // A concurrent delivery of the same message, or two batches locking the same customers
        // in turn: the next try sees what the other transaction committed.
        let stored = try await connection.retryingTransient(onRetry: { [logger] error, _ in
            logger.debug("ingest batch retried", metadata: ["batch.size": "\(toStore.ids.count)", "error": "\(error.sqlState ?? "")"])
        }) { connection in
            try await connection.transaction { connection in
                try store(toStore, toReject, wait: waitForBusyCustomers, on: connection)
            }
        }
        return outcomes.merging(stored) { _, new in new }
    }

    private static let encoder = JSONEncoder()

    private static func parse(channel: String, size: Int?, payload: Data?, parser: InboundParser) throws(InboundRejection) -> InboundMessage {
        if let size, size > parser.maximumBytes {
            throw InboundRejection(.tooLarge, "the payload is \(size) bytes; the limit is \(parser.maximumBytes)")
        }
        if size == nil, Channel(rawValue: channel) != nil {
            throw InboundRejection(.malformed, "the row has no payload")
        }
        return try parser.parse(channel: channel, payload: payload ?? Data())
    }

    private func store(_ parsed: (ids: [Int64], inputs: [String]), _ rejections: (ids: [Int64], codes: [String], reasons: [String]),
                       wait: Bool, on connection: isolated PostgresConnection) throws -> [Int64: Result<IngestOutcome, IngestError>] {
        // Not waiting for the WAL flush is safe here: the jobs' completions are committed after
        // this transaction, and WAL is durable in order, so a crash that loses this commit loses
        // the completions too and the jobs run again (docs/ingest.md, "Durability").
        let results = try connection.pipeline([
            "SET LOCAL synchronous_commit = off",
            """
            SELECT count(reject_inbound(id, code, reason))
              FROM unnest(\(rejections.ids), \(rejections.codes), \(rejections.reasons)) AS r(id, code, reason)
            """,
            """
            SELECT o_inbound_id, o_outcome, o_conversation_id, o_message_id, o_customer_id, o_answer_intent, o_answer_locale,
                   o_answer_template, o_answer_context::text
              FROM ingest_batch(\(parsed.ids), \(parsed.inputs)::jsonb[], \(wait))
            """,
        ])
        for result in results { _ = try result.get() }
        var outcomes: [Int64: Result<IngestOutcome, IngestError>] = [:]
        var answers = Answers()
        for row in try results[2].get() {
            let id = try row.decode(Int64.self, at: 0)
            outcomes[id] = .success(try outcome(of: row, inbound: id, answers: &answers, on: connection))
        }
        guard !answers.questions.isEmpty else { return outcomes }
        try connection.query("""
            SELECT record_auto_answers(\(answers.questions), \(answers.intents), \(answers.locales), \(answers.bodies))
            """)
        for (id, index) in answers.inbound {
            if case .success(.conversation(let placed)) = outcomes[id] {
                outcomes[id] = .success(.conversation(ConversationOutcome(
                    placement: placed.placement, conversationID: placed.conversationID, messageID: placed.messageID,
                    customerID: placed.customerID, autoAnswered: answers.intents[index])))
            }
        }
        return outcomes
    }

    /// Rendered automatic answers of a batch, recorded together.
    private struct Answers {
        var questions: [Int64] = []
        var intents: [String] = []
        var locales: [String] = []
        var bodies: [String] = []
        var inbound: [Int64: Int] = [:]
    }

    private func outcome(of row: PostgresRow, inbound id: Int64, answers: inout Answers,
                         on connection: isolated PostgresConnection) throws -> IngestOutcome {
        let text = try row.decode(String.self, "o_outcome")
        let conversationID = try row.decode(Int64?.self, "o_conversation_id")
        let messageID = try row.decode(Int64?.self, "o_message_id")
        let placement: ConversationOutcome.Placement
        switch BatchOutcome(text) {
        case .rejected:
            return .rejected(code: try connection.query("SELECT reject_code FROM inbound_messages WHERE id = \(id)").scalar(String.self))
        case .duplicate: return .duplicate(messageID: messageID, conversationID: conversationID)
        case .automated: return .automated(conversationID: conversationID)
        case .consent: return .consent(customerID: try row.decode(Int64.self, "o_customer_id"))
        case .surveyAnswer: return .surveyAnswer(customerID: try row.decode(Int64.self, "o_customer_id"))
        case .deferred: return .deferred
        case .alreadyHandled(let status): return .alreadyHandled(status: status)
        case .placed(let placed): placement = placed
        case nil: throw IngestError(.unexpectedResult, "ingest returned '\(text)' for inbound message \(id)")
        }
        guard let conversationID, let messageID else {
            throw IngestError(.unexpectedResult, "ingest returned '\(text)' without a conversation for inbound message \(id)")
        }
        if let intent = try row.decode(String?.self, "o_answer_intent"), let locale = try row.decode(String?.self, "o_answer_locale"),
           let template = try row.decode(String?.self, "o_answer_template"), let context = try row.decode(String?.self, "o_answer_context") {
            do {
                let body = try AutoAnswerRenderer.render(template: template, contextJSON: context)
                answers.inbound[id] = answers.questions.count
                answers.questions.append(messageID)
                answers.intents.append(intent)
                answers.locales.append(locale)
                answers.bodies.append(body)
            } catch {
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
                                                 customerID: try row.decode(Int64.self, "o_customer_id"), autoAnswered: nil))
    }
}

/// An ingest step failed for a reason that is not the input's fault: a code to switch on, and a
/// message that says why.
public struct IngestError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The inbound message or order event is gone (deleted by an admin): no retry can help.
        case missingRow
        /// The database answered something ingest cannot account for.
        case unexpectedResult
    }

    public let code: Code
    public let description: String
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}

/// What `ingest_batch()` says it did with one row (its `o_outcome`).
enum BatchOutcome: Equatable {
    case rejected, duplicate, automated, consent, surveyAnswer, deferred
    /// `already_<status>`: a repeated job found the row handled.
    case alreadyHandled(InboundStatus)
    case placed(ConversationOutcome.Placement)

    init?(_ text: String) {
        switch text {
        case "rejected": self = .rejected
        case "duplicate": self = .duplicate
        case "automated": self = .automated
        case "consent": self = .consent
        case "survey_answer": self = .surveyAnswer
        case "deferred": self = .deferred
        default:
            if text.hasPrefix("already_"), let status = InboundStatus(rawValue: String(text.dropFirst("already_".count))) {
                self = .alreadyHandled(status)
            } else if let placement = ConversationOutcome.Placement(rawValue: text) {
                self = .placed(placement)
            } else {
                return nil
            }
        }
    }
}
