public import JobQueue

/// Arguments of an `ingest` job: the inbound row to turn into a conversation message.
public struct IngestJobArguments: Codable, Sendable, Equatable {
    public var inboundID: Int64
    public init(inboundID: Int64) { self.inboundID = inboundID }
    enum CodingKeys: String, CodingKey { case inboundID = "inbound_id" }
}

/// Arguments of an `order_event` job: the order event to apply to `orders`.
public struct OrderEventJobArguments: Codable, Sendable, Equatable {
    public var orderEventID: Int64
    public init(orderEventID: Int64) { self.orderEventID = orderEventID }
    enum CodingKeys: String, CodingKey { case orderEventID = "order_event_id" }
}

/// Arguments of a `route` job: the conversation that needs a team and an agent.
public struct RouteJobArguments: Codable, Sendable, Equatable {
    public var conversationID: Int64
    public init(conversationID: Int64) { self.conversationID = conversationID }
    enum CodingKeys: String, CodingKey { case conversationID = "conversation_id" }
}

/// Arguments of an `sla_check` job: none; it checks every conversation.
public struct SLACheckJobArguments: Codable, Sendable, Equatable {
    public init() {}
}

/// Arguments of a `notify` job: the outbox row to send.
public struct NotifyJobArguments: Codable, Sendable, Equatable {
    public var outboxID: Int64
    public init(outboxID: Int64) { self.outboxID = outboxID }
    enum CodingKeys: String, CodingKey { case outboxID = "outbox_id" }
}

/// Arguments of a `notify_sweep` job: none; it looks at every order.
public struct NotifySweepJobArguments: Codable, Sendable, Equatable {
    public init() {}
}

/// Arguments of a `survey` job: the survey due now.
public struct SurveyJobArguments: Codable, Sendable, Equatable {
    public var surveyID: Int64
    public init(surveyID: Int64) { self.surveyID = surveyID }
    enum CodingKeys: String, CodingKey { case surveyID = "survey_id" }
}

/// Arguments of a `service_facts_refresh` job: none; it takes the oldest stale marks.
public struct ServiceFactsRefreshJobArguments: Codable, Sendable, Equatable {
    public init() {}
}

public struct CategoriesTrainJobArguments: Codable, Sendable, Equatable {
    public init() {}
}

/// The job kinds the workers exchange. Arguments carry ids only: personal data stays in the
/// domain tables, so erasing a customer never has to touch the queue's history.
///
/// The database enqueues most of these itself (triggers on `inbound_messages`, `order_events`
/// and `outbox`, `request_route()`), so the names here must match the SQL in
/// `sql/migrations`.
public enum HelpdeskJobs {
    /// Queue of the ingest worker: inbound messages and order events.
    public static let ingestQueue = "ingest"
    /// Queue of the routing worker.
    public static let routeQueue = "route"
    /// Queue of the notification worker: outbox rows (trigger on `outbox`).
    public static let notifyQueue = "notify"
    /// Queue of the survey worker.
    public static let surveysQueue = "surveys"

    public static let ingest = JobKind<IngestJobArguments>("ingest", timeout: .seconds(60), maxAttempts: 10)
    public static let orderEvent = JobKind<OrderEventJobArguments>("order_event", timeout: .seconds(60), maxAttempts: 10)
    public static let route = JobKind<RouteJobArguments>("route", timeout: .seconds(30), maxAttempts: 25)
    /// Retries are the notification worker's own (snoozes, up to the outbox row's deadline), so
    /// the queue's attempts only count crashes and timeouts.
    public static let notify = JobKind<NotifyJobArguments>("notify", timeout: .seconds(120), maxAttempts: 25)
    /// Enqueued by the trigger that schedules a survey when a conversation is resolved.
    public static let survey = JobKind<SurveyJobArguments>("survey", timeout: .seconds(60), maxAttempts: 10)
    /// Enqueued every five minutes by the leader (`job_schedules` row `notify_sweep`), on the notify
    /// queue: notices the clock alone triggers (deliveries overdue, first-order anniversaries).
    public static let notifySweep = JobKind<NotifySweepJobArguments>("notify_sweep", timeout: .seconds(120), maxAttempts: 3)
    /// Enqueued every minute by the leader (`job_schedules` row `service_facts_refresh`), on the
    /// surveys queue: the kept facts of the service metrics brought up to date.
    public static let serviceFactsRefresh = JobKind<ServiceFactsRefreshJobArguments>("service_facts_refresh", timeout: .seconds(120),
                                                                                     maxAttempts: 3)
    /// Enqueued hourly by the leader (`job_schedules` row `categories_train`, migration 0034,
    /// admins may change its cron), on the ingest queue: the category model retrained when its
    /// labelled examples changed.
    public static let categoriesTrain = JobKind<CategoriesTrainJobArguments>("categories_train", timeout: .seconds(600), maxAttempts: 3)
    /// Enqueued every minute by the leader (`job_schedules` row `sla_check`), on the route queue.
    public static let slaCheck = JobKind<SLACheckJobArguments>("sla_check", timeout: .seconds(120), maxAttempts: 3)
}
