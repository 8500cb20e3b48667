public import Foundation
public import Logging
public import Postgres

/// What sending one outbox row came to.
public enum NotifyOutcome: Sendable, Equatable {
    /// The provider accepted it.
    case sent
    /// Nothing to do: sent, failed or cancelled before.
    case alreadyDone
    /// Not due yet, failed for now, or no provider serves its channel yet: try again after this.
    case later(Duration)
    /// It cannot be sent; `reason` says why (also in `outbox.last_error` and `notify_events`).
    case failed(reason: String)
}

/// How the notification worker retries.
public struct NotifyRetryPolicy: Sendable {
    /// The wait after the first transient failure; it doubles with each attempt, up to `maximum`,
    /// and is jittered (50–100 % of it) so that a provider coming back is not hit by every row at once.
    public var base: Duration
    public var maximum: Duration
    /// How long a row waits when no enabled provider serves its channel.
    public var noProviderWait: Duration

    public init(base: Duration = .seconds(30), maximum: Duration = .seconds(3600), noProviderWait: Duration = .seconds(300)) {
        self.base = base
        self.maximum = maximum
        self.noProviderWait = noProviderWait
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
    private let mailers = MailerPool()
    private let environment: [String: String]

    public init(retry: NotifyRetryPolicy = .init(), environment: [String: String] = ProcessInfo.processInfo.environment,
                logger: Logger = Logger(label: "switchboard.notify")) {
        self.retry = retry
        self.environment = environment
        self.logger = logger
    }

    /// Sends outbox row `outboxID`, taking connections from `pool` only around the bookkeeping
    /// (none is held while the provider answers).
    public func send(_ outboxID: Int64, pool: PostgresPool) async throws -> NotifyOutcome {
        let begun = try await pool.withConnection { connection in
            try await connection.retryingTransient { connection in
                try await connection.transaction { connection in try Self.begin(outboxID, on: connection) }
            }
        }
        guard let send = begun else { return .alreadyDone }
        let record = { (statement: PostgresQuery) in
            try await pool.withConnection { connection in
                try await connection.retryingTransient { connection in _ = try connection.execute(statement) }
            }
        }
        if send.dueAt > Date() {
            return .later(.milliseconds(Int64(send.dueAt.timeIntervalSinceNow * 1000) + 1))
        }
        guard let provider = send.provider else {
            let until = Date().addingTimeInterval(retry.noProviderWait.seconds)
            try await record("SELECT notify_defer(\(outboxID), \("no enabled provider sends \(send.channel)"), \(until))")
            return .later(retry.noProviderWait)
        }
        if let suppressed = send.suppressed {
            let reason = "suppressed: \(suppressed)"
            try await record("SELECT notify_fail(\(outboxID), \(reason))")
            return .failed(reason: reason)
        }
        guard let to = send.toAddress else {
            let reason = send.channel == "email" ? "the customer has no email address" : "the customer has no address on \(send.channel)"
            try await record("SELECT notify_fail(\(outboxID), \(reason))")
            return .failed(reason: reason)
        }
        do {
            let server = try provider.smtpServer(environment: environment)
            let mail = OutgoingMail(
                fromName: send.fromName, fromAddress: send.fromAddress, toName: send.toName, toAddress: to,
                subject: send.subject, messageID: send.messageID, inReplyTo: send.inReplyTo, references: send.references,
                text: send.body, locale: send.locale,
                // Bot answers and alerts are not a person writing: out-of-office replies must not answer them.
                headers: send.kind == "reply" ? [] : [("Auto-Submitted", "auto-generated")])
            try await mailers.withMailer(for: server) { mailer in
                try await mailer.send(MailComposer.compose(mail), from: send.fromAddress, to: [to], through: server)
            }
            try await record("SELECT notify_sent(\(outboxID), \(send.messageID))")
            logger.debug("sent", metadata: ["outbox.id": "\(outboxID)", "provider.id": "\(provider.id)"])
            return .sent
        } catch let error as SMTPError where error.isPermanent {
            if error.isAddressRejected {
                // The mailbox does not exist or is disabled: no later message will reach it either.
                try await record("SELECT notify_suppress(\(outboxID), \(to), \(error.description))")
            }
            try await record("SELECT notify_fail(\(outboxID), \(error.description))")
            logger.info("refused by the provider", metadata: ["outbox.id": "\(outboxID)", "error": "\(error)"])
            return .failed(reason: error.description)
        } catch let error as SMTPError {
            return try await retryLater(send, reason: error.description, record: record)
        } catch let error as NotifyError where error.code == .provider {
            // A misconfigured provider is an operator's to fix: the row waits, it does not fail.
            return try await retryLater(send, reason: error.description, record: record)
        }
    }

    private func retryLater(_ send: PendingSend, reason: String, record: (PostgresQuery) async throws -> Void) async throws -> NotifyOutcome {
        let wait = retry.delay(afterAttempt: send.attempt)
        let at = Date().addingTimeInterval(wait.seconds)
        if at > send.deadline {
            let final = "gave up after \(send.attempt) attempt\(send.attempt == 1 ? "" : "s"): \(reason)"
            try await record("SELECT notify_fail(\(send.outboxID), \(final))")
            logger.info("failed", metadata: ["outbox.id": "\(send.outboxID)", "error": "\(final)"])
            return .failed(reason: final)
        }
        try await record("SELECT notify_retry(\(send.outboxID), \(reason), \(at))")
        logger.info("will retry", metadata: ["outbox.id": "\(send.outboxID)", "error": "\(reason)", "attempt": "\(send.attempt)"])
        return .later(wait)
    }

    /// `notify_begin`'s row.
    struct PendingSend: Sendable {
        var outboxID: Int64, kind: String, channel: String, locale: String, attempt: Int
        var dueAt: Date, deadline: Date
        var provider: NotifyProvider?
        var fromName: String?, fromAddress: String, toName: String?, toAddress: String?
        var subject: String?, body: String
        var messageID: String, inReplyTo: String?, references: [String]
        /// Why the address is suppressed, when it is.
        var suppressed: String?
    }

    static func begin(_ outboxID: Int64, on connection: isolated PostgresConnection) throws -> PendingSend? {
        guard let row = try connection.query("SELECT * FROM notify_begin(\(outboxID))").first else { return nil }
        var provider: NotifyProvider?
        if let id = try row.decode(Int64?.self, "provider_id") {
            let settings = try row.decode(String.self, "settings")
            provider = NotifyProvider(
                id: id, kind: try row.decode(String.self, "provider_kind"), endpoint: try row.decode(String.self, "endpoint"),
                username: try row.decode(String?.self, "username"), secretReference: try row.decode(String?.self, "secret_ref"),
                settings: (try? JSONDecoder().decode([String: JSONValue].self, from: Data(settings.utf8))) ?? [:])
        }
        guard let messageID = try row.decode(String?.self, "message_id") else {
            throw NotifyError(.unexpectedResult, "notify_begin gave outbox row \(outboxID) no Message-ID")
        }
        return PendingSend(
            outboxID: outboxID, kind: try row.decode(String.self, "kind"), channel: try row.decode(String.self, "channel"),
            locale: try row.decode(String.self, "locale"), attempt: try row.decode(Int.self, "attempt"),
            dueAt: try row.decode(Date.self, "due_at"), deadline: try row.decode(Date.self, "deadline"), provider: provider,
            fromName: try row.decode(String?.self, "from_name"), fromAddress: try row.decode(String.self, "from_address"),
            toName: try row.decode(String?.self, "to_name"), toAddress: try row.decode(String?.self, "to_address"),
            subject: try row.decode(String?.self, "subject"), body: try row.decode(String.self, "body_text"),
            messageID: messageID, inReplyTo: try row.decode(String?.self, "in_reply_to"),
            references: try row.decode([String].self, "references"), suppressed: try row.decode(String?.self, "suppressed"))
    }
}

/// Idle SMTP mailers by server, so that consecutive sends reuse a connection.
actor MailerPool {
    private var idle: [SMTPServer: [SMTPMailer]] = [:]

    func withMailer<T: Sendable>(for server: SMTPServer, _ body: (SMTPMailer) async throws -> T) async throws -> T {
        let mailer = idle[server]?.popLast() ?? SMTPMailer()
        defer { idle[server, default: []].append(mailer) }
        return try await body(mailer)
    }
}

extension Duration {
    var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
