public import Foundation
public import Postgres

/// What operators read about notifications (`switchboard notify status|explain`).
public enum NotifyAdmin {
    /// Outbox rows by channel and status.
    public struct Count: Sendable {
        public var channel: String, status: String, count: Int
    }

    /// One step of an outbox row's story (`notify_events`).
    public struct Event: Sendable {
        public var at: Date, event: String, attempt: Int?, provider: String?, detail: String?
    }

    /// An outbox row and every step it went through.
    public struct History: Sendable {
        public var outboxID: Int64, kind: String, channel: String, status: String, attempts: Int
        public var provider: String?, providerMessageID: String?, emailMessageID: String?, lastError: String?
        /// The provider's last receipt: delivered, undelivered or read.
        public var deliveryStatus: String?
        public var createdAt: Date, sendAfter: Date, sentAt: Date?
        public var events: [Event]
    }

    /// A provider and how it is doing.
    public struct ProviderState: Sendable {
        public var name: String, channel: String, kind: String, enabled: Bool
        /// Transient failures in a row, and while its circuit is open, until when.
        public var failures: Int, openUntil: Date?, lastFailure: String?
        /// Sends through it in the last minute; rows being sent through it now; rows waiting to try it again.
        public var sentLastMinute: Int, sending: Int, waiting: Int
        /// closed (healthy or failing below the threshold), open, or disabled.
        public var circuit: String { !enabled ? "disabled" : (openUntil.map { $0 > Date() } ?? false) ? "open" : "closed" }
    }

    public static func providers(on connection: isolated PostgresConnection) throws -> [ProviderState] {
        try connection.query("""
            SELECT p.name, p.channel, p.kind, p.enabled, coalesce(h.consecutive_failures, 0) AS failures, h.open_until, h.last_failure,
                   (SELECT count(*) FROM outbox o WHERE o.provider_id = p.id AND o.status = 'sent'
                       AND o.sent_at > now() - interval '1 minute') AS sent,
                   (SELECT count(*) FROM outbox o WHERE o.provider_id = p.id AND o.status = 'sending') AS sending,
                   (SELECT count(*) FROM outbox o WHERE o.provider_id = p.id AND o.status = 'pending') AS waiting
              FROM notify_providers p LEFT JOIN notify_provider_health h ON h.provider_id = p.id
             ORDER BY p.channel, p.priority, p.id
            """).map { row in
            ProviderState(name: try row.decode(String.self, "name"), channel: try row.decode(String.self, "channel"),
                          kind: try row.decode(String.self, "kind"), enabled: try row.decode(Bool.self, "enabled"),
                          failures: try row.decode(Int.self, "failures"), openUntil: try row.decode(Date?.self, "open_until"),
                          lastFailure: try row.decode(String?.self, "last_failure"), sentLastMinute: try row.decode(Int.self, "sent"),
                          sending: try row.decode(Int.self, "sending"), waiting: try row.decode(Int.self, "waiting"))
        }
    }

    public static func counts(on connection: isolated PostgresConnection) throws -> [Count] {
        try connection.query("SELECT channel, status, count(*) AS n FROM outbox GROUP BY 1, 2 ORDER BY 1, 2").map { row in
            Count(channel: try row.decode(String.self, "channel"), status: try row.decode(String.self, "status"),
                  count: try row.decode(Int.self, "n"))
        }
    }

    /// Rows sent in the last `seconds`.
    public static func sent(inLast seconds: Int, on connection: isolated PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM outbox WHERE status = 'sent' AND sent_at > now() - make_interval(secs => \(seconds))")
            .scalar(Int.self)
    }

    /// Rows failed in the last day, by their reason, the commonest first.
    public static func failures(limit: Int, on connection: isolated PostgresConnection) throws -> [(reason: String, count: Int)] {
        try reasons(statuses: ["failed"], limit: limit, on: connection).map { ($0.reason, $0.count) }
    }

    /// Rows created in the last day that ended in one of `statuses`, by status and reason, the commonest first.
    public static func reasons(statuses: [String], limit: Int,
                               on connection: isolated PostgresConnection) throws -> [(status: String, reason: String, count: Int)] {
        try connection.query("""
            SELECT status, coalesce(last_error, '-') AS reason, count(*) AS n FROM outbox
             WHERE status = ANY (\(statuses)::text[]) AND created_at > now() - interval '1 day'
             GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT \(limit)
            """).map { (try $0.decode(String.self, "status"), try $0.decode(String.self, "reason"), try $0.decode(Int.self, "n")) }
    }

    /// One outbox row as operators list it (no body or address: they are the customer's).
    public struct Row: Sendable {
        public var id: Int64, kind: String, channel: String, status: String, attempts: Int
        public var lastError: String?
        public var createdAt: Date
    }

    /// The latest rows with `status`, newest first.
    public static func latest(status: String, limit: Int, on connection: isolated PostgresConnection) throws -> [Row] {
        try connection.query("""
            SELECT id, kind, channel, status, attempts, last_error, created_at FROM outbox
             WHERE status = \(status) ORDER BY id DESC LIMIT \(limit)
            """).map { row in
            Row(id: try row.decode(Int64.self, "id"), kind: try row.decode(String.self, "kind"),
                channel: try row.decode(String.self, "channel"), status: try row.decode(String.self, "status"),
                attempts: try row.decode(Int.self, "attempts"), lastError: try row.decode(String?.self, "last_error"),
                createdAt: try row.decode(Date.self, "created_at"))
        }
    }

    public static func history(_ outboxID: Int64, on connection: isolated PostgresConnection) throws -> History? {
        guard let row = try connection.query("""
            SELECT o.id, o.kind, o.channel, o.status, o.attempts, p.name AS provider, o.provider_message_id, o.email_message_id,
                   o.delivery_status, o.last_error, o.created_at, o.send_after, o.sent_at
              FROM outbox o LEFT JOIN notify_providers p ON p.id = o.provider_id WHERE o.id = \(outboxID)
            """).first else { return nil }
        let events = try connection.query("""
            SELECT e.occurred_at, e.event, e.attempt, p.name AS provider, e.detail
              FROM notify_events e LEFT JOIN notify_providers p ON p.id = e.provider_id
             WHERE e.outbox_id = \(outboxID) ORDER BY e.id
            """).map { event in
            Event(at: try event.decode(Date.self, "occurred_at"), event: try event.decode(String.self, "event"),
                  attempt: try event.decode(Int?.self, "attempt"), provider: try event.decode(String?.self, "provider"),
                  detail: try event.decode(String?.self, "detail"))
        }
        return History(
            outboxID: try row.decode(Int64.self, "id"), kind: try row.decode(String.self, "kind"),
            channel: try row.decode(String.self, "channel"), status: try row.decode(String.self, "status"),
            attempts: try row.decode(Int.self, "attempts"), provider: try row.decode(String?.self, "provider"),
            providerMessageID: try row.decode(String?.self, "provider_message_id"),
            emailMessageID: try row.decode(String?.self, "email_message_id"), lastError: try row.decode(String?.self, "last_error"),
            deliveryStatus: try row.decode(String?.self, "delivery_status"), createdAt: try row.decode(Date.self, "created_at"), sendAfter: try row.decode(Date.self, "send_after"),
            sentAt: try row.decode(Date?.self, "sent_at"), events: events)
    }

    /// What a customer would get: a template rendered with a real order's rows.
    public struct Preview: Sendable {
        public var to: String?
        public var locale: String
        public var templateLocale: String
        public var subject: String?
        public var body: String
        /// For SMS: the segments it is sent as.
        public var smsSegments: Int?
    }

    /// Renders template `kind` for `channel` as the customer of order `orderNumber` (of store
    /// `store`, or the default) would get it, in `locale` or theirs. Throws ``NotifyError`` when
    /// there is no such template or it does not render.
    public static func preview(kind: String, channel: String, locale: String?, orderNumber: String?, store: String?,
                               on connection: isolated PostgresConnection) throws -> Preview {
        let row = try connection.query("SELECT * FROM notify_preview(\(kind), \(channel), \(locale), \(orderNumber), \(store))").first
        guard let row else { throw NotifyError(.unexpectedResult, "notify_preview returned nothing") }
        let rowLocale = try row.decode(String.self, "locale")
        let templateLocale = try row.decode(String?.self, "template_locale")
        let rendered = try NoticeRenderer.render(NoticeRenderer.Input(
            kind: kind, channel: channel, locale: rowLocale, templateLocale: templateLocale,
            subject: try row.decode(String?.self, "subject"), body: try row.decode(String?.self, "body"),
            variablesJSON: try row.decode(String?.self, "variables"), maxSMSSegments: try row.decode(Int.self, "max_sms_segments")))
        return Preview(to: try row.decode(String?.self, "recipient"), locale: rowLocale,
                       templateLocale: templateLocale ?? rowLocale, subject: rendered.subject,
                       body: rendered.body, smsSegments: channel == "sms" ? SMSText.segments(rendered.body) : nil)
    }

    /// What a retry or cancel of outbox rows came to.
    public struct ActionResult: Sendable {
        public var done: [Int64] = []
        /// Rows not in a state for it, with the state they are in.
        public var skipped: [(id: Int64, status: String)] = []
        public var missing: [Int64] = []
    }

    /// Sends failed, suppressed or cancelled rows again (`notify_requeue`).
    public static func retry(_ ids: [Int64], reason: String, on connection: isolated PostgresConnection) throws -> ActionResult {
        try act(ids, on: connection) { id in "SELECT notify_requeue(\(id), \(reason))" }
    }

    /// Cancels pending rows (`notify_cancel`).
    public static func cancel(_ ids: [Int64], reason: String, on connection: isolated PostgresConnection) throws -> ActionResult {
        try act(ids, on: connection) { id in "SELECT notify_cancel(\(id), \(reason))" }
    }

    private static func act(_ ids: [Int64], on connection: isolated PostgresConnection,
                            _ statement: (Int64) -> PostgresQuery) throws -> ActionResult {
        var result = ActionResult()
        for id in ids {
            if try connection.query(statement(id)).scalar(Bool.self) {
                result.done.append(id)
            } else if let status = try connection.query("SELECT status FROM outbox WHERE id = \(id)").first?.decode(String.self, at: 0) {
                result.skipped.append((id, status))
            } else {
                result.missing.append(id)
            }
        }
        return result
    }
}
