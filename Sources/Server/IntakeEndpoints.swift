import Foundation
import Helpdesk
import HTTPTypes
import Hummingbird
import Logging
import Postgres
import Secrets

/// `POST /v1/inbound/{channel}` and `POST /v1/order-events`: signed requests from the
/// integrations of `intake_integrations`, their rows written together with those of concurrent
/// requests. Every refusal says what is wrong in a JSON body; nothing is stored unless the
/// answer is 202 (stored now) or 200 (stored before: a repeated delivery).
struct IntakeEndpoints: Sendable {
    static let integrationHeader = HTTPField.Name("Switchboard-Integration")!
    static let timestampHeader = HTTPField.Name(WebhookSignature.timestampHeader)!
    static let signatureHeader = HTTPField.Name(WebhookSignature.signatureHeader)!
    static let externalIDHeader = HTTPField.Name("Switchboard-External-Id")!

    let configuration: ServerConfiguration
    let integrations: IntakeIntegrations
    let rateLimit = IntakeRateLimit()
    let inbound: BatchWriter<InboundDelivery, IntakeReceipt>
    let orderEvents: BatchWriter<OrderEventDelivery, IntakeReceipt>
    let pool: PostgresPool
    let logger: Logger

    init(configuration: ServerConfiguration, pool: PostgresPool, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.pool = pool
        integrations = IntakeIntegrations(pool: pool, refresh: configuration.integrationsRefresh, logger: logger)
        let store = IntakeStore(pool: pool)
        let batchWide: @Sendable (any Error) -> Bool = { Self.databaseUnavailable($0) }
        inbound = BatchWriter(maximumBatch: configuration.batchSize, lanes: configuration.lanes, isBatchWide: batchWide) { try await store.write($0) }
        orderEvents = BatchWriter(maximumBatch: configuration.batchSize, lanes: configuration.lanes, isBatchWide: batchWide) { try await store.write($0) }
    }

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/inbound/:channel") { request, context in await self.receiveInbound(request, channel: context.parameters.get("channel") ?? "") }
        router.post("/v1/order-events") { request, _ in await self.receiveOrderEvent(request) }
        addPlatformRoutes(to: router)
    }

    // MARK: Inbound messages

    private func receiveInbound(_ request: Request, channel name: String) async -> Response {
        guard let channel = Channel(rawValue: name) else {
            let known = [Channel.email, .sms, .chat, .social, .webform, .phone].map(\.rawValue).joined(separator: ", ")
            return APIResponse.problem(.notFound, "there is no channel '\(name)'; the channels are \(known)", field: "channel")
        }
        let accepted = channel == .email ? ["message/rfc822"] : ["application/json"]
        let admitted: (IntakeIntegration, Data)
        switch await admit(request, contentTypes: accepted) {
        case .success(let value): admitted = value
        case .failure(let refusal): return refusal.response
        }
        let (integration, body) = admitted
        if channel == .email {
            guard !body.isEmpty else { return APIResponse.problem(.badRequest, "the body is empty; send the raw RFC 5322 message", field: "body") }
        } else {
            guard (try? JSONSerialization.jsonObject(with: body)) is [String: Any] else {
                return APIResponse.problem(.badRequest, "the body is not a JSON object in UTF-8", field: "body")
            }
        }
        var externalID = request.headers[Self.externalIDHeader]?.trimmingCharacters(in: .whitespaces)
        if externalID?.isEmpty == true { externalID = nil }
        if let externalID, externalID.utf8.count > 1000 {
            return APIResponse.problem(.badRequest, "Switchboard-External-Id is over 1,000 bytes", field: "Switchboard-External-Id")
        }
        let delivery = InboundDelivery(store: integration.store, channel: channel.rawValue, externalID: externalID, payload: body)
        return await stored { try await inbound.submit(delivery) }
    }

    // MARK: Order events

    private func receiveOrderEvent(_ request: Request) async -> Response {
        let admitted: (IntakeIntegration, Data)
        switch await admit(request, contentTypes: ["application/json"]) {
        case .success(let value): admitted = value
        case .failure(let refusal): return refusal.response
        }
        let (integration, body) = admitted
        switch Self.orderEvent(from: body, store: integration.store) {
        case .success(let delivery): return await stored { try await orderEvents.submit(delivery) }
        case .failure(let refusal): return refusal.response
        }
    }

    /// The event in a request body: `order_number` and `kind` required, `payload`, `occurred_at`
    /// and `event_id` optional. Refusals name the field.
    static func orderEvent(from body: Data, store: String?) -> Result<OrderEventDelivery, Refusal> {
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            return .failure(Refusal(.badRequest, "the body is not a JSON object in UTF-8", field: "body"))
        }
        let orderNumber: String
        switch object["order_number"] {
        case let text as String where !text.trimmingCharacters(in: .whitespaces).isEmpty: orderNumber = text
        case let number as NSNumber where !(number is Bool) && number.doubleValue == number.doubleValue.rounded(): orderNumber = number.stringValue
        case nil, is NSNull: return .failure(Refusal(.badRequest, "order_number is required: the shop's order number as customers see it", field: "order_number"))
        default: return .failure(Refusal(.badRequest, "order_number must be a non-empty string", field: "order_number"))
        }
        guard let kind = object["kind"] as? String, !kind.isEmpty else {
            return .failure(Refusal(.badRequest, "kind is required: what happened (created, paid, shipped, delivered, …)", field: "kind"))
        }
        let payload = object["payload"] ?? [String: Any]()
        guard payload is [String: Any], let payloadData = try? JSONSerialization.data(withJSONObject: payload) else {
            return .failure(Refusal(.badRequest, "payload must be a JSON object", field: "payload"))
        }
        var occurredAt: String?
        if let value = object["occurred_at"], !(value is NSNull) {
            guard let text = value as? String, Self.parseTimestamp(text) != nil else {
                return .failure(Refusal(.badRequest, "occurred_at must be an ISO 8601 time with its offset, such as 2026-12-03T10:15:00Z", field: "occurred_at"))
            }
            occurredAt = text
        }
        var eventID: String?
        if let value = object["event_id"], !(value is NSNull) {
            guard let text = value as? String, !text.isEmpty, text.utf8.count <= 1000 else {
                return .failure(Refusal(.badRequest, "event_id must be a non-empty string of at most 1,000 bytes", field: "event_id"))
            }
            eventID = text
        }
        return .success(OrderEventDelivery(store: store, orderNumber: orderNumber, kind: kind,
                                           payloadJSON: String(decoding: payloadData, as: UTF8.self), occurredAt: occurredAt, eventID: eventID))
    }

    static func parseTimestamp(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    // MARK: What every intake request goes through

    /// A request refused before anything is stored.
    struct Refusal: Error {
        let response: Response
        init(_ status: HTTPResponse.Status, _ message: String, field: String? = nil, retryAfter: Duration? = nil) {
            response = APIResponse.problem(status, message, field: field, retryAfter: retryAfter)
        }
    }

    /// Size, integration, rate, content type and signature, in that order; the integration and
    /// the body when all hold.
    private func admit(_ request: Request, contentTypes: [String]) async -> Result<(IntakeIntegration, Data), Refusal> {
        if let refusal = declaredTooLarge(request) { return .failure(refusal) }
        guard let name = request.headers[Self.integrationHeader], !name.isEmpty else {
            return .failure(Refusal(.unauthorized, "the Switchboard-Integration header is missing: name the integration", field: "Switchboard-Integration"))
        }
        let integration: IntakeIntegration
        switch await admitIntegration(named: name, format: "switchboard", field: "Switchboard-Integration") {
        case .success(let found): integration = found
        case .failure(let refusal): return .failure(refusal)
        }
        let body: Data
        switch await readBody(request, contentTypes: contentTypes) {
        case .success(let data): body = data
        case .failure(let refusal): return .failure(refusal)
        }
        guard let timestampText = request.headers[Self.timestampHeader], let timestamp = Int64(timestampText) else {
            return .failure(Refusal(.unauthorized, "Switchboard-Timestamp is missing or not whole seconds since 1970", field: "Switchboard-Timestamp"))
        }
        let window = Double(configuration.signatureWindow.components.seconds)
        let skew = Date().timeIntervalSince1970 - Double(timestamp)
        guard abs(skew) <= window else {
            return .failure(Refusal(.unauthorized, "Switchboard-Timestamp is \(Int(abs(skew))) s from the server's clock; at most \(Int(window)) s is accepted (a replay, or a clock to fix)", field: "Switchboard-Timestamp"))
        }
        guard let signature = request.headers[Self.signatureHeader] else {
            return .failure(Refusal(.unauthorized, "the Switchboard-Signature header is missing", field: "Switchboard-Signature"))
        }
        guard WebhookSignature.isValid(signature: signature, body: body, timestamp: timestamp, secrets: integration.secrets,
                                       tolerance: window) else {
            return .failure(Refusal(.unauthorized, "Switchboard-Signature does not match: sign \"<timestamp>.<body>\" with HMAC-SHA256 and send v1=<hex>", field: "Switchboard-Signature"))
        }
        return .success((integration, body))
    }

    /// 413 at once when the declared length is over the limit.
    func declaredTooLarge(_ request: Request) -> Refusal? {
        let limit = configuration.maximumBodyBytes
        guard let length = request.headers[.contentLength].flatMap(Int.init), length > limit else { return nil }
        return Refusal(.contentTooLarge, "the body is \(length) bytes; the limit is \(limit)")
    }

    /// The enabled integration `name` of `format`, within its rate and with a readable secret.
    func admitIntegration(named name: String, format: String, field: String = "integration") async -> Result<IntakeIntegration, Refusal> {
        let integration: IntakeIntegration
        switch await integrations.integration(named: name) {
        case .found(let found) where found.format == format: integration = found
        case .found, .unknown:
            return .failure(Refusal(.unauthorized, "no enabled \(format) integration is named '\(name.prefix(64))'", field: field))
        case .unavailable:
            return .failure(Refusal(.serviceUnavailable, "the database cannot be reached; nothing was stored: send again", retryAfter: .seconds(5)))
        }
        if let wait = rateLimit.take(for: integration) {
            return .failure(Refusal(.tooManyRequests, "over the rate of '\(integration.name)' (\(integration.ratePerSecond.formatted()) requests a second, bursts of \(integration.burst)); send again after Retry-After", retryAfter: wait))
        }
        guard !integration.secrets.isEmpty else {
            logger.error("intake refused: the integration's secret cannot be read", metadata: ["integration": "\(integration.name)"])
            return .failure(Refusal(.serviceUnavailable, "the server cannot read this integration's secret; its operator is told", retryAfter: .seconds(60)))
        }
        return .success(integration)
    }

    /// The body, when its media type is one of `contentTypes` and it is within the size limit.
    func readBody(_ request: Request, contentTypes: [String]) async -> Result<Data, Refusal> {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        guard contentTypes.contains(mediaType) else {
            return .failure(Refusal(.unsupportedMediaType, "the Content-Type must be \(contentTypes.joined(separator: " or ")), not '\(mediaType.prefix(100))'", field: "Content-Type"))
        }
        let limit = configuration.maximumBodyBytes
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return .success(buffer.readData(length: buffer.readableBytes) ?? Data())
        } catch {
            return .failure(Refusal(.contentTooLarge, "the body is over the limit of \(limit) bytes"))
        }
    }

    /// 202 with the new row's id, 200 with the earlier row's for a repeated delivery, 503 while the database cannot be reached.
    func stored(_ write: () async throws -> IntakeReceipt, answer: ((IntakeReceipt) -> Response)? = nil) async -> Response {
        do {
            let receipt = try await write()
            if let answer { return answer(receipt) }
            return APIResponse.json(receipt.repeated ? .ok : .accepted,
                                    ["id": receipt.id, "status": receipt.repeated ? "already_received" : "accepted"])
        } catch {
            return failure(error)
        }
    }

    /// The answer to a request whose database work failed: 503 while the database cannot be
    /// reached, 400 for a value it refused, else 500 (logged).
    func failure(_ error: any Error) -> Response {
        if Self.databaseUnavailable(error) {
            logger.warning("intake cannot reach the database", metadata: ["error": "\(error)"])
            return APIResponse.problem(.serviceUnavailable, "the database cannot be reached; nothing was stored: send again", retryAfter: .seconds(5))
        }
        if let error = error as? PostgresError, error.sqlState?.hasPrefix("22") == true {
            return APIResponse.problem(.badRequest, "the database refused a value: \(error.message)", field: "body")
        }
        logger.error("intake failed", metadata: ["error": "\(error)"])
        return APIResponse.problem(.internalServerError, "the request could not be stored; nothing was stored: send again")
    }

    static func databaseUnavailable(_ error: any Error) -> Bool {
        guard let error = error as? PostgresError else { return false }
        return error.isConnectionFailure || error.kind == .pool
    }
}
