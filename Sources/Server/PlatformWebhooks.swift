import Foundation
import Hummingbird
import HTTPTypes
import Postgres
import Secrets

/// The platforms' own webhook formats, so a shop or an SMS provider connects without code:
/// Shopify's order webhooks, Twilio's inbound messages, and the delivery receipts of the notify
/// providers (Twilio's status callbacks, the generic webhook provider's).
extension IntakeEndpoints {
    static let shopifySignatureHeader = HTTPField.Name("X-Shopify-Hmac-Sha256")!
    static let shopifyTopicHeader = HTTPField.Name("X-Shopify-Topic")!
    static let shopifyWebhookIDHeader = HTTPField.Name("X-Shopify-Webhook-Id")!
    static let twilioSignatureHeader = HTTPField.Name("X-Twilio-Signature")!
    static let forwardedProtoHeader = HTTPField.Name("X-Forwarded-Proto")!
    static let formType = "application/x-www-form-urlencoded"

    func addPlatformRoutes(to router: Router<BasicRequestContext>) {
        router.post("/v1/webhooks/shopify/:integration") { request, context in
            await self.receiveShopify(request, integration: context.parameters.get("integration") ?? "")
        }
        router.post("/v1/webhooks/twilio/:integration") { request, context in
            await self.receiveTwilio(request, integration: context.parameters.get("integration") ?? "")
        }
        router.post("/v1/receipts/:provider") { request, context in
            await self.receiveReceipt(request, provider: context.parameters.get("provider") ?? "")
        }
    }

    // MARK: Shopify

    private func receiveShopify(_ request: Request, integration name: String) async -> Response {
        if let refusal = declaredTooLarge(request) { return refusal.response }
        let integration: IntakeIntegration
        switch await admitIntegration(named: name, format: "shopify") {
        case .success(let found): integration = found
        case .failure(let refusal): return refusal.response
        }
        let body: Data
        switch await readBody(request, contentTypes: ["application/json"]) {
        case .success(let data): body = data
        case .failure(let refusal): return refusal.response
        }
        guard let signature = request.headers[Self.shopifySignatureHeader],
              ShopifySignature.isValid(signature: signature, body: body, secrets: integration.secrets) else {
            return APIResponse.problem(.unauthorized, "X-Shopify-Hmac-Sha256 is missing or does not match the body", field: "X-Shopify-Hmac-Sha256")
        }
        let topic = request.headers[Self.shopifyTopicHeader] ?? ""
        guard ShopifyOrders.topics.contains(topic) else {
            // Acknowledged, so Shopify does not retry a subscription Switchboard has no use for.
            return APIResponse.json(.ok, ["status": "ignored", "reason": "the topic '\(topic.prefix(100))' is not one Switchboard maps"])
        }
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            return APIResponse.problem(.badRequest, "the body is not a JSON object in UTF-8", field: "body")
        }
        let mapped: (kind: String, number: String, payload: [String: Any], occurredAt: String?)
        do {
            guard let event = try ShopifyOrders.event(topic: topic, body: object) else {
                return APIResponse.json(.ok, ["status": "ignored"])
            }
            mapped = event
        } catch {
            return APIResponse.problem(.badRequest, error.message, field: error.field)
        }
        let payload = (try? JSONSerialization.data(withJSONObject: mapped.payload)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let delivery = OrderEventDelivery(store: integration.store, orderNumber: mapped.number, kind: mapped.kind, payloadJSON: payload,
                                          occurredAt: mapped.occurredAt.flatMap { IntakeEndpoints.parseTimestamp($0) != nil ? $0 : nil },
                                          eventID: request.headers[Self.shopifyWebhookIDHeader].map { "shopify:" + $0 })
        return await stored { try await orderEvents.submit(delivery) }
    }

    // MARK: Twilio inbound

    private func receiveTwilio(_ request: Request, integration name: String) async -> Response {
        if let refusal = declaredTooLarge(request) { return refusal.response }
        let integration: IntakeIntegration
        switch await admitIntegration(named: name, format: "twilio") {
        case .success(let found): integration = found
        case .failure(let refusal): return refusal.response
        }
        let form: [(String, String)]
        switch await readForm(request) {
        case .success(let fields): form = fields
        case .failure(let refusal): return refusal.response
        }
        let url = integration.signedURL ?? Self.requestURL(request)
        guard let signature = request.headers[Self.twilioSignatureHeader],
              TwilioSignature.isValid(signature: signature, url: url, parameters: form, tokens: integration.secrets) else {
            return APIResponse.problem(.unauthorized, "X-Twilio-Signature is missing or does not match \(url) and the parameters", field: "X-Twilio-Signature")
        }
        let fields = Dictionary(form, uniquingKeysWith: { first, _ in first })
        guard let sid = fields["MessageSid"] ?? fields["SmsSid"], !sid.isEmpty else {
            return APIResponse.problem(.badRequest, "MessageSid is missing", field: "MessageSid")
        }
        let from = fields["From"] ?? ""
        var media: [[String: Any]] = []
        for index in 0..<min(Int(fields["NumMedia"] ?? "0") ?? 0, 10) {
            guard let mediaURL = fields["MediaUrl\(index)"] else { continue }
            var item: [String: Any] = ["url": mediaURL]
            if let type = fields["MediaContentType\(index)"] { item["content_type"] = type }
            media.append(item)
        }
        // WhatsApp through Twilio: "whatsapp:+14155550123" is a WhatsApp sender, not an SMS one.
        let channel: String
        var payload: [String: Any] = ["text": fields["Body"] ?? ""]
        if from.hasPrefix("whatsapp:") {
            channel = "social"
            payload["platform"] = "whatsapp"
            payload["sender_id"] = String(from.dropFirst("whatsapp:".count))
            if let profile = fields["ProfileName"], !profile.isEmpty { payload["sender_name"] = profile }
        } else {
            channel = "sms"
            payload["from"] = from
            if let to = fields["To"] { payload["to"] = to }
        }
        if !media.isEmpty { payload["media"] = media }
        let data = (try? JSONSerialization.data(withJSONObject: payload)) ?? Data("{}".utf8)
        let delivery = InboundDelivery(store: integration.store, channel: channel, externalID: sid, payload: data)
        // Twilio reads the answer as TwiML: an empty one sends no reply; Switchboard answers later.
        return await stored({ try await inbound.submit(delivery) }, answer: { receipt in
            var headers = HTTPFields()
            headers[.contentType] = "text/xml; charset=utf-8"
            return Response(status: .ok, headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(string: #"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#)))
        })
    }

    // MARK: Delivery receipts

    private func receiveReceipt(_ request: Request, provider text: String) async -> Response {
        if let refusal = declaredTooLarge(request) { return refusal.response }
        guard let providerID = Int64(text) else {
            return APIResponse.problem(.notFound, "receipts go to /v1/receipts/{provider id}: '\(text.prefix(40))' is not an id", field: "provider")
        }
        let provider: (kind: String, secretRef: String?, callback: String?)
        do {
            let rows = try await pool.query("""
                SELECT kind, secret_ref, settings->>'status_callback' FROM notify_providers WHERE id = \(providerID) AND enabled
                """)
            guard let row = rows.first else {
                return APIResponse.problem(.notFound, "no enabled provider has id \(providerID)", field: "provider")
            }
            provider = (try row.decode(String.self, at: 0), try row.decode(String?.self, at: 1), try row.decode(String?.self, at: 2))
        } catch {
            return failure(error)
        }
        guard provider.kind != "smtp" else {
            return APIResponse.problem(.notFound, "provider \(providerID) sends email: its receipts come back as bounce mail, not over HTTP", field: "provider")
        }
        guard let reference = provider.secretRef.flatMap(SecretReference.init), let secret = try? reference.read() else {
            logger.error("a receipt cannot be checked: the provider's secret cannot be read", metadata: ["provider.id": "\(providerID)"])
            return APIResponse.problem(.serviceUnavailable, "the server cannot read this provider's secret; its operator is told", retryAfter: .seconds(60))
        }
        let receipt: (messageID: String, status: String?, detail: String?, at: String?)
        if provider.kind == "twilio" {
            let form: [(String, String)]
            switch await readForm(request) {
            case .success(let fields): form = fields
            case .failure(let refusal): return refusal.response
            }
            let url = provider.callback ?? Self.requestURL(request)
            guard let signature = request.headers[Self.twilioSignatureHeader],
                  TwilioSignature.isValid(signature: signature, url: url, parameters: form, tokens: [secret]) else {
                return APIResponse.problem(.unauthorized, "X-Twilio-Signature is missing or does not match \(url) and the parameters", field: "X-Twilio-Signature")
            }
            let fields = Dictionary(form, uniquingKeysWith: { first, _ in first })
            guard let sid = fields["MessageSid"] ?? fields["SmsSid"], !sid.isEmpty else {
                return APIResponse.problem(.badRequest, "MessageSid is missing", field: "MessageSid")
            }
            let status: String? = switch fields["MessageStatus"] ?? fields["SmsStatus"] {
            case "delivered": "delivered"
            case "undelivered", "failed": "undelivered"
            case "read": "read"
            default: nil  // queued, sending, sent, accepted: not yet news for the customer's record
            }
            receipt = (sid, status, fields["ErrorCode"].map { "Twilio error \($0)" } ?? fields["MessageStatus"], nil)
        } else {
            let body: Data
            switch await readBody(request, contentTypes: ["application/json"]) {
            case .success(let data): body = data
            case .failure(let refusal): return refusal.response
            }
            guard let timestamp = request.headers[Self.timestampHeader].flatMap({ Int64($0) }),
                  let signature = request.headers[Self.signatureHeader],
                  WebhookSignature.isValid(signature: signature, body: body, timestamp: timestamp, secrets: [secret],
                                           tolerance: Double(configuration.signatureWindow.components.seconds)) else {
                return APIResponse.problem(.unauthorized, "Switchboard-Timestamp and Switchboard-Signature must sign the body with the provider's secret, within the window", field: "Switchboard-Signature")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
                return APIResponse.problem(.badRequest, "the body is not a JSON object in UTF-8", field: "body")
            }
            guard let id = object["id"] as? String, !id.isEmpty else {
                return APIResponse.problem(.badRequest, "id is required: the provider's id for the message, as it answered the send", field: "id")
            }
            guard let status = object["status"] as? String, ["delivered", "undelivered", "read"].contains(status) else {
                return APIResponse.problem(.badRequest, "status must be delivered, undelivered or read", field: "status")
            }
            let at = object["at"] as? String
            if let at, IntakeEndpoints.parseTimestamp(at) == nil {
                return APIResponse.problem(.badRequest, "at must be an ISO 8601 time with its offset", field: "at")
            }
            receipt = (id, status, object["detail"] as? String, at)
        }
        guard let status = receipt.status else { return APIResponse.json(.ok, ["status": "ignored"]) }
        do {
            let outbox = try await pool.query("""
                SELECT notify_receipt(\(providerID), \(receipt.messageID), \(status), \(receipt.detail), coalesce(\(receipt.at)::timestamptz, now()))
                """).first?.decode(Int64?.self, at: 0)
            guard let outbox else {
                return APIResponse.problem(.notFound, "provider \(providerID) sent no message '\(receipt.messageID.prefix(100))' that Switchboard knows", field: "id")
            }
            return APIResponse.json(.ok, ["status": "recorded", "outbox_id": outbox])
        } catch {
            return failure(error)
        }
    }

    // MARK: Helpers

    /// A form body's fields in order, `+` read as a space.
    private func readForm(_ request: Request) async -> Result<[(String, String)], Refusal> {
        switch await readBody(request, contentTypes: [Self.formType]) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let body):
            guard let text = String(data: body, encoding: .utf8) else {
                return .failure(Refusal(.badRequest, "the form is not UTF-8", field: "body"))
            }
            var fields: [(String, String)] = []
            for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                func decode(_ part: Substring) -> String? { part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
                guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                    return .failure(Refusal(.badRequest, "the form has a field that is not percent-encoded properly", field: "body"))
                }
                fields.append((name, value))
            }
            return .success(fields)
        }
    }

    /// The URL as the client called it, behind a proxy that says its scheme in X-Forwarded-Proto.
    static func requestURL(_ request: Request) -> String {
        let scheme = request.headers[forwardedProtoHeader]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "http"
        let host = request.head.authority ?? "localhost"
        return "\(scheme)://\(host)\(request.uri.description)"
    }
}
