public import Foundation
import Synchronization
public import Logging
public import Postgres

/// What sending one outbox row came to.
public enum NotifyOutcome: Sendable, Equatable {
    /// The provider accepted it.
    case sent
    /// Nothing to do: sent, failed or cancelled before.
    case alreadyDone
    /// Not due yet, failed for now, or no provider can take it yet: try again after this.
    case later(Duration)
    /// It cannot be sent; `reason` says why (also in `outbox.last_error` and `notify_events`).
    case failed(reason: String)
    /// It must not be sent: the address is suppressed, or the customer's consent refuses it
    /// (`reason`, recorded by `notify_begin`).
    case suppressed(reason: String)
}

/// How the notification worker retries.
public struct NotifyRetryPolicy: Sendable {
    /// The wait after the first transient failure; it doubles with each attempt, up to `maximum`,
    /// and is jittered (50–100 % of it) so that a provider coming back is not hit by every row at once.
    public var base: Duration
    public var maximum: Duration

    public init(base: Duration = .seconds(30), maximum: Duration = .seconds(3600)) {
        self.base = base
        self.maximum = maximum
    }

    /// The wait after failed attempt `attempt` (1 for the first).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let doubled = base * Int(pow(2.0, Double(min(max(attempt - 1, 0), 20))))
        let capped = min(doubled, maximum)
        return capped * Double.random(in: 0.5...1.0)
    }
}

/// Sends outbox rows: records the attempt (`notify_begin`, its own committed transaction, so a
/// crash mid-send leaves the row `sending` and the job sends it again as the same message),
/// composes, hands it to the provider, and records the result (`notify_sent`, `notify_retry`,
/// `notify_fail`, `notify_defer`).
public final class Notifier: Sendable {
    public let retry: NotifyRetryPolicy
    public let logger: Logger
    /// One per SMTP provider (its connections, and the thread that drives them), made on first
    /// use, and made again when the provider's server settings change (the old one ends with its
    /// last send).
    private let smtpClients = Mutex<[Int64: SMTPClient]>([:])
    private let http = HTTPSender()
    /// HTTP requests in flight per provider, as each SMTP client bounds its connections.
    private let httpLimits = PerKeyLimit<Int64>()
    private let environment: [String: String]

    public init(retry: NotifyRetryPolicy = .init(), environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "switchboard.notify")) {
        self.retry = retry
        self.environment = environment
        self.logger = logger
    }

    /// Sends outbox row `outboxID`, taking connections from `pool` only around the bookkeeping
    /// (none is held while the provider answers). A transient failure with another provider of
    /// the channel free to take the row fails over to it at once, within this call.
    public func send(_ outboxID: Int64, pool: PostgresPool) async throws -> NotifyOutcome {
        // Bounded: each failover moves to a provider the row has not failed at yet.
        for _ in 0..<8 {
            let outcome = try await attempt(outboxID, pool: pool)
            if case .later(let wait) = outcome, wait <= .zero { continue }
            return outcome
        }
        return .later(.seconds(1))
    }

    private func attempt(_ outboxID: Int64, pool: PostgresPool) async throws -> NotifyOutcome {
        let begun = try await pool.withConnection { connection in
            try await connection.retryingTransient { connection in
                try await connection.transaction { connection in try Self.begin(outboxID, on: connection) }
            }
        }
        guard let begun else { return .alreadyDone }
        var failed: [Int64: Result<NotifyOutcome, any Error>] = [:]
        guard let send = await rendered([begun], pool: pool, results: &failed).first else {
            return try (failed[outboxID] ?? .failure(NotifyError(.unexpectedResult, "outbox row \(outboxID) was neither rendered nor failed"))).get()
        }
        switch try await proceed(send, pool: pool) {
        case .delivered(let providerMessageID):
            try await Self.recordSent([(outboxID, providerMessageID)], on: pool)
            return .sent
        case .done(let outcome):
            return outcome
        }
    }

    /// Sends outbox rows `ids` together: begun in one statement (one transaction), delivered
    /// concurrently, and what the providers accepted recorded in one statement — a few round
    /// trips for the batch instead of several per row. Returns each row's outcome, or the error
    /// that row met; throws only when the batch could not begin (nothing was sent then). A row
    /// that fails over to another provider or channel goes on alone, within this call.
    public func send(batch ids: [Int64], pool: PostgresPool) async throws -> [Int64: Result<NotifyOutcome, any Error>] {
        let begun = try await pool.withConnection { connection in
            try await connection.retryingTransient { connection in
                try await connection.transaction { connection in try Self.begin(batch: ids, on: connection) }
            }
        }
        var results: [Int64: Result<NotifyOutcome, any Error>] = [:]
        let ready = await rendered(begun, pool: pool, results: &results)
        var delivered: [(id: Int64, providerMessageID: String?)] = []
        await withTaskGroup(of: (Int64, Result<Step, any Error>).self) { group in
            for send in ready {
                group.addTask { (send.outboxID, await Self.result { try await self.proceed(send, pool: pool) }) }
            }
            for await (id, result) in group {
                switch result {
                case .success(.delivered(let providerMessageID)): delivered.append((id, providerMessageID))
                case .success(.done(let outcome)): results[id] = .success(outcome)
                case .failure(let error): results[id] = .failure(error)
                }
            }
        }
        if !delivered.isEmpty {
            do {
                try await Self.recordSent(delivered, on: pool)
                for (id, _) in delivered { results[id] = .success(.sent) }
            } catch {
                for (id, _) in delivered { results[id] = .failure(error) }
            }
        }
        for (id, result) in results {
            if case .success(.later(let wait)) = result, wait <= .zero {
                results[id] = await Self.result { try await send(id, pool: pool) }
            }
        }
        for id in ids where results[id] == nil { results[id] = .success(.alreadyDone) }
        return results
    }

    /// Records that the providers accepted these rows (`notify_sent`, one statement for them all).
    private static func recordSent(_ delivered: [(id: Int64, providerMessageID: String?)], on pool: PostgresPool) async throws {
        // A provider without ids for its messages gives none: '' here, null in the row.
        let (ids, messageIDs) = (delivered.map(\.id), delivered.map { $0.providerMessageID ?? "" })
        try await record("SELECT notify_sent(\(ids)::int8[], \(messageIDs)::text[])", on: pool)
    }

    /// The rows with their templates rendered, the texts kept on the rows (in one statement), so
    /// a retry sends the same text; a row whose template fails is failed, and goes into `results`.
    private func rendered(_ begun: [PendingSend], pool: PostgresPool, results: inout [Int64: Result<NotifyOutcome, any Error>]) async -> [PendingSend] {
        var ready: [PendingSend] = []
        var texts: (ids: [Int64], subjects: [String], bodies: [String]) = ([], [], [])
        for var send in begun {
            guard send.body == nil, send.provider != nil, send.waitUntil == nil, send.suppressed == nil, send.toAddress != nil else {
                ready.append(send)
                continue
            }
            do throws(NotifyError) {
                (send.subject, send.body) = try NoticeRenderer.render(send)
                texts.ids.append(send.outboxID)
                // No subject (an SMS), or an empty one, is kept as null.
                texts.subjects.append(send.subject ?? "")
                texts.bodies.append(send.body ?? "")
                ready.append(send)
            } catch {
                let reason = error.description
                results[send.outboxID] = await Self.result {
                    try await Self.record("SELECT notify_fail(\(send.outboxID), \(reason))", on: pool)
                    return .failed(reason: reason)
                }
            }
        }
        guard !texts.ids.isEmpty else { return ready }
        do {
            try await Self.record("SELECT notify_rendered(\(texts.ids)::int8[], \(texts.subjects)::text[], \(texts.bodies)::text[])", on: pool)
            return ready
        } catch {
            // Not kept: these go unsent now and are begun again by their jobs' retries.
            let unsaved = Set(texts.ids)
            for id in unsaved { results[id] = .failure(error) }
            return ready.filter { !unsaved.contains($0.outboxID) }
        }
    }

    private static func result<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// Where a begun row stands after `proceed`: handed to the provider (to be recorded as sent),
    /// or done with an outcome already recorded.
    private enum Step: Sendable {
        case delivered(providerMessageID: String?)
        case done(NotifyOutcome)
    }

    /// Everything after `notify_begin` and rendering but recording the provider's acceptance:
    /// waits, suppression, the delivery itself, and what a failure means.
    private func proceed(_ send: PendingSend, pool: PostgresPool) async throws -> Step {
        let outboxID = send.outboxID
        let record = { (statement: PostgresQuery) in try await Self.record(statement, on: pool) }
        if let until = send.waitUntil {
            // Not due, or no provider can take it now (recorded by notify_begin, with the reason).
            return .done(.later(.milliseconds(max(Int64(until.timeIntervalSinceNow * 1000), 0) + 1)))
        }
        if let suppressed = send.suppressed {
            return .done(.suppressed(reason: suppressed))
        }
        guard let to = send.toAddress else {
            let reason = send.channel == "email" ? "the customer has no email address" : "the customer has no address on \(send.channel)"
            return .done(try await giveUp(outboxID, reason: reason, pool: pool))
        }
        guard let provider = send.provider else {
            throw NotifyError(.unexpectedResult, "notify_begin gave outbox row \(outboxID) neither a provider nor a wait")
        }
        do {
            let providerMessageID = try await deliver(send, to: to, through: provider)
            logger.debug("sent", metadata: ["outbox.id": "\(outboxID)", "provider.id": "\(provider.id)"])
            return .delivered(providerMessageID: providerMessageID)
        } catch let error as DeliveryError {
            switch error.kind {
            case .permanent(let addressRejected):
                if addressRejected {
                    // No later message will reach this address either.
                    try await record("SELECT notify_suppress(\(outboxID), \(to), \(error.description))")
                }
                logger.info("refused by the provider", metadata: ["outbox.id": "\(outboxID)", "error": "\(error)"])
                return .done(try await giveUp(outboxID, reason: error.description, pool: pool))
            case .transient(let retryAfter):
                return .done(try await retryLater(send, reason: error.description, providerAsked: retryAfter, pool: pool))
            case .misconfigured:
                return .done(try await retryLater(send, reason: error.description, providerAsked: nil, pool: pool))
            }
        }
    }

    /// Hands the message to its provider; returns the provider's id for it.
    private func deliver(_ send: PendingSend, to: String, through provider: NotifyProvider) async throws -> String? {
        if provider.kind == "smtp" {
            let server = try provider.smtpServer(environment: environment)
            let mail = OutgoingMail(
                fromName: send.fromName, fromAddress: send.fromAddress, toName: send.toName, toAddress: to, replyTo: send.replyTo,
                subject: send.subject, messageID: send.messageID ?? "", inReplyTo: send.inReplyTo, references: send.references,
                text: send.body ?? "", locale: send.locale,
                headers: Self.headers(send))
            do {
                let client = smtpClients.withLock { clients in
                    if let client = clients[provider.id], client.server == server { return client }
                    let client = SMTPClient(server: server)
                    clients[provider.id] = client
                    return client
                }
                try await client.send(MailComposer.compose(mail), from: send.fromAddress, to: [to])
            } catch let error as SMTPError {
                throw DeliveryError(error)
            }
            return send.messageID
        }
        let message = HTTPMessage(
            outboxID: send.outboxID, idempotencyKey: send.idempotencyKey, kind: send.kind, channel: send.channel,
            platform: send.toPlatform, to: to, toName: send.toName, store: send.storeCode, fromName: send.fromName,
            conversationID: send.conversationID, thread: send.threadKey, locale: send.locale, subject: send.subject, text: send.body ?? "",
            template: send.providerTemplate)
        return try await httpLimits.run(provider.id, maximum: provider.maximumConnections) {
            try await http.send(message, through: provider, environment: environment)
        }
    }

    /// The headers an email gets beyond the composer's own.
    static func headers(_ send: PendingSend) -> [(name: String, value: String)] {
        var headers: [(name: String, value: String)] = []
        // Bot answers, notices and alerts are not a person writing: out-of-office replies must not answer them.
        if send.kind != "reply" { headers.append(("Auto-Submitted", "auto-generated")) }
        if let url = send.unsubscribeURL {
            headers.append(("List-Unsubscribe", "<\(url)>"))
            // RFC 8058: a mail provider's one button POSTs to the link, no page in between.
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
            }
        }
        return headers
    }

    private func retryLater(_ send: PendingSend, reason: String, providerAsked: Date?, pool: PostgresPool) async throws -> NotifyOutcome {
        let wait = retry.delay(afterAttempt: send.attempt)
        let at = max(Date().addingTimeInterval(wait.seconds), providerAsked ?? .distantPast)
        if at > send.deadline {
            let final = "gave up after \(send.attempt) attempt\(send.attempt == 1 ? "" : "s"): \(reason)"
            return try await giveUp(send.outboxID, reason: final, pool: pool)
        }
        // notify_retry may send it on at once through another provider (failover).
        let next = try await pool.withConnection { connection in
            try await connection.retryingTransient { connection in
                try connection.query("SELECT notify_retry(\(send.outboxID), \(reason), \(at), \(providerAsked))").first?.decode(Date?.self, at: 0)
            }
        } ?? at
        logger.info("will retry", metadata: ["outbox.id": "\(send.outboxID)", "error": "\(reason)", "attempt": "\(send.attempt)"])
        return .later(.milliseconds(max(Int64(next.timeIntervalSinceNow * 1000), 0)))
    }

    /// The row cannot go on its channel: it moves on to its next channel (a failover step, sent
    /// at once by `send`'s loop), or fails.
    private func giveUp(_ outboxID: Int64, reason: String, pool: PostgresPool) async throws -> NotifyOutcome {
        let moved = try await pool.withConnection { connection in
            try await connection.retryingTransient { connection in
                try connection.query("SELECT notify_give_up(\(outboxID), \(reason))").scalar(Bool.self)
            }
        }
        logger.info(moved ? "on to the next channel" : "failed", metadata: ["outbox.id": "\(outboxID)", "error": "\(reason)"])
        return moved ? .later(.zero) : .failed(reason: reason)
    }

    /// Runs one bookkeeping statement on a pooled connection (held only for it), again on a
    /// transient error.
    private static func record(_ statement: PostgresQuery, on pool: PostgresPool) async throws {
        try await pool.withConnection { connection in
            try await connection.retryingTransient { connection in _ = try connection.execute(statement) }
        }
    }

    /// `notify_begin`'s row.
    struct PendingSend: Sendable {
        var outboxID: Int64, kind: String, channel: String, locale: String, attempt: Int
        var deadline: Date
        /// Set when the row cannot go now: not due, or no provider can take it yet.
        var waitUntil: Date?
        var idempotencyKey: String, storeCode: String, conversationID: Int64?, threadKey: String?
        var provider: NotifyProvider?
        var fromName: String?, fromAddress: String, toName: String?, toAddress: String?, toPlatform: String?
        /// Null when the row names a template not rendered yet.
        var subject: String?, body: String?
        /// Email only.
        var messageID: String?, inReplyTo: String?, references: [String]
        /// Why the row is suppressed, when it is.
        var suppressed: String?
        /// The template to render when `body` is null, in `templateLocale`, with `variables` (JSON).
        var templateKind: String?, templateLocale: String?, templateSubject: String?, templateBody: String?, variables: String?
        var maxSMSSegments: Int
        /// Email: the List-Unsubscribe link, and the conversation's signed Reply-To address.
        var unsubscribeURL: String?, replyTo: String?
        /// The provider's name for the row's approved template, when it has one.
        var providerTemplate: String?
    }

    static func begin(_ outboxID: Int64, on connection: isolated PostgresConnection) throws -> PendingSend? {
        try connection.query("SELECT * FROM notify_begin(\(outboxID))").first.map(pending)
    }

    /// `notify_begin` for `ids` in one statement: the rows on the common path begun together,
    /// the others one by one (see `notify_begin(bigint[])`).
    static func begin(batch ids: [Int64], on connection: isolated PostgresConnection) throws -> [PendingSend] {
        try connection.query("SELECT * FROM notify_begin(\(ids)::int8[])").map(pending)
    }

    private static func pending(_ row: PostgresRow) throws -> PendingSend {
        let outboxID = try row.decode(Int64.self, "outbox_id")
        var provider: NotifyProvider?
        if let id = try row.decode(Int64?.self, "provider_id") {
            let settings = try row.decode(String.self, "settings")
            provider = NotifyProvider(
                id: id, kind: try row.decode(String.self, "provider_kind"), endpoint: try row.decode(String.self, "endpoint"),
                username: try row.decode(String?.self, "username"), secretReference: try row.decode(String?.self, "secret_ref"),
                settings: (try? JSONDecoder().decode([String: JSONValue].self, from: Data(settings.utf8))) ?? [:])
        }
        let channel = try row.decode(String.self, "channel")
        let messageID = try row.decode(String?.self, "message_id")
        if channel == "email", messageID == nil {
            throw NotifyError(.unexpectedResult, "notify_begin gave outbox row \(outboxID) no Message-ID")
        }
        return PendingSend(
            outboxID: outboxID, kind: try row.decode(String.self, "kind"), channel: channel,
            locale: try row.decode(String.self, "locale"), attempt: try row.decode(Int.self, "attempt"),
            deadline: try row.decode(Date.self, "deadline"), waitUntil: try row.decode(Date?.self, "wait_until"),
            idempotencyKey: try row.decode(String.self, "idempotency_key"), storeCode: try row.decode(String.self, "store_code"),
            conversationID: try row.decode(Int64?.self, "conversation_id"), threadKey: try row.decode(String?.self, "thread_key"),
            provider: provider,
            fromName: try row.decode(String?.self, "from_name"), fromAddress: try row.decode(String.self, "from_address"),
            toName: try row.decode(String?.self, "to_name"), toAddress: try row.decode(String?.self, "to_address"),
            toPlatform: try row.decode(String?.self, "to_platform"),
            subject: try row.decode(String?.self, "subject"), body: try row.decode(String?.self, "body_text"),
            messageID: messageID, inReplyTo: try row.decode(String?.self, "in_reply_to"),
            references: try row.decode([String].self, "references"), suppressed: try row.decode(String?.self, "suppressed"),
            templateKind: try row.decode(String?.self, "template_kind"), templateLocale: try row.decode(String?.self, "template_locale"),
            templateSubject: try row.decode(String?.self, "template_subject"), templateBody: try row.decode(String?.self, "template_body"),
            variables: try row.decode(String?.self, "variables"), maxSMSSegments: try row.decode(Int.self, "max_sms_segments"),
            unsubscribeURL: try row.decode(String?.self, "unsubscribe_url"), replyTo: try row.decode(String?.self, "reply_to"),
            providerTemplate: try row.decode(String?.self, "provider_template"))
    }
}

/// At most a given number of bodies running at once per key; the rest wait their turn, in order.
actor PerKeyLimit<Key: Hashable & Sendable> {
    private var running: [Key: Int] = [:]
    private var waiting: [Key: [CheckedContinuation<Void, Never>]] = [:]

    func run<T: Sendable>(_ key: Key, maximum: Int, _ body: () async throws -> T) async throws -> T {
        await acquire(key, maximum: maximum)
        defer { release(key) }
        return try await body()
    }

    /// Takes a place under `key`, waiting for one when `maximum` are taken.
    private func acquire(_ key: Key, maximum: Int) async {
        if running[key, default: 0] < maximum {
            running[key, default: 0] += 1
        } else {
            // Woken by a finishing body, which hands over its place.
            await withCheckedContinuation { waiting[key, default: []].append($0) }
        }
    }

    /// Gives back a place `acquire` took.
    private func release(_ key: Key) {
        if var queue = waiting[key], !queue.isEmpty {
            let next = queue.removeFirst()
            waiting[key] = queue
            next.resume()
        } else {
            running[key, default: 1] -= 1
        }
    }
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }

    var milliseconds: Int {
        let (seconds, attoseconds) = components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
