import AsyncHTTPClient
import Secrets
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One message for an HTTP provider: what the worker read from `notify_begin`.
public struct HTTPMessage: Sendable, Encodable {
    public var outboxID: Int64
    /// The outbox key: the webhook's `Idempotency-Key`, the same on every attempt.
    public var idempotencyKey: String
    public var kind: String
    public var channel: String
    /// The social platform (whatsapp, messenger…) on social channels.
    public var platform: String?
    public var to: String
    public var toName: String?
    public var store: String
    public var fromName: String?
    public var conversationID: Int64?
    /// The chat session or social thread the conversation follows.
    public var thread: String?
    public var locale: String
    public var subject: String?
    public var text: String
    /// The provider's name for the approved template to send (WhatsApp outside its 24-hour window).
    public var template: String?

    enum CodingKeys: String, CodingKey {
        case outboxID = "outbox_id", idempotencyKey = "idempotency_key", kind, channel, platform, to, toName = "to_name", store
        case fromName = "from_name", conversationID = "conversation_id", thread, locale, subject, text, template
    }
}

/// Sends messages to HTTP providers with AsyncHTTPClient: a signed JSON webhook (`webhook`) or
/// the Twilio Messages API's form POST (`twilio`). Returns the provider's id for the message;
/// throws ``DeliveryError`` saying whether trying again can help.
public struct HTTPSender: Sendable {
    /// One client for the process: its connection pool keeps connections to each provider open
    /// across messages. A global, so it is never deinitialised unshut.
    static let client = HTTPClient(
        eventLoopGroupProvider: .singleton,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)))

    public init() {}

    public func send(_ message: HTTPMessage, through provider: NotifyProvider, environment: [String: String]) async throws -> String? {
        let endpoint = try provider.httpEndpoint(environment: environment)
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "Switchboard")
        request.headers.add(name: "Idempotency-Key", value: message.idempotencyKey)
        let body: Data
        switch provider.kind {
        case "webhook":
            body = try Self.encoder.encode(message)
            let timestamp = Int64(Date().timeIntervalSince1970)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: WebhookSignature.timestampHeader, value: String(timestamp))
            request.headers.add(name: WebhookSignature.signatureHeader,
                                value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: endpoint.secret))
        case "twilio":
            var form = [("To", message.to), ("Body", message.text)]
            if let service = endpoint.messagingServiceSID { form.append(("MessagingServiceSid", service)) }
            else if let from = endpoint.from { form.append(("From", from)) }
            else { throw DeliveryError(.misconfigured, "provider \(provider.id): settings name neither from nor messaging_service_sid") }
            if let callback = endpoint.statusCallback { form.append(("StatusCallback", callback)) }
            body = Data(Self.formEncoded(form).utf8)
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let credentials = Data("\(endpoint.username ?? ""):\(endpoint.secret)".utf8).base64EncodedString()
            request.headers.add(name: "Authorization", value: "Basic \(credentials)")
        default:
            throw DeliveryError(.misconfigured, "provider \(provider.id) is a \(provider.kind) provider, not an HTTP one")
        }
        request.body = .bytes(ByteBuffer(data: body))
        let response: HTTPClientResponse
        let answer: Data
        do {
            response = try await Self.client.execute(request, timeout: .milliseconds(Int64(endpoint.timeout.milliseconds)))
            answer = Data(buffer: try await response.body.collect(upTo: 1 << 16))
        } catch {
            throw DeliveryError(.transient(retryAfter: nil), "POST \(endpoint.host) failed: \(error)")
        }
        let status = Int(response.status.code)
        let reply = Self.reply(answer)
        if (200..<300).contains(status) { return reply.id }
        let words = "HTTP \(status)" + (reply.code.map { " (\(provider.kind == "twilio" ? "Twilio error " : "code ")\($0))" } ?? "")
            + ": " + (reply.message ?? Self.excerpt(answer, or: response.status.reasonPhrase))
        switch status {
        case 408, 425, 429, 500...599:
            throw DeliveryError(.transient(retryAfter: Self.retryAfter(response.headers.first(name: "Retry-After"))), words)
        case 401, 403, 404, 405, 407:
            throw DeliveryError(.misconfigured, words)
        default:
            throw DeliveryError(.permanent(addressRejected: status == 410 || Self.twilioAddressErrors.contains(reply.code ?? 0)), words)
        }
    }

    /// Twilio's codes for a number no message can reach: invalid, unsubscribed (STOP), not a mobile.
    static let twilioAddressErrors: Set<Int> = [21211, 21610, 21614]

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The fields of a provider's JSON answer the worker reads: the message's id (`id`, `sid` or
    /// `message_id`), and on errors `code` and `message` (or `error`).
    static func reply(_ data: Data) -> (id: String?, code: Int?, message: String?) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return (nil, nil, nil) }
        func text(_ key: String) -> String? {
            switch object[key] {
            case let string as String: string
            case let number as NSNumber: number.stringValue
            default: nil
            }
        }
        return (text("id") ?? text("sid") ?? text("message_id"), (object["code"] as? NSNumber)?.intValue,
                text("message") ?? text("error"))
    }

    /// The start of a body that is not JSON, on one line.
    static func excerpt(_ data: Data, or fallback: String) -> String {
        let text = String(decoding: data.prefix(300), as: UTF8.self).split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return text.isEmpty ? fallback : text
    }

    /// A Retry-After header: seconds, or an HTTP date.
    static func retryAfter(_ value: String?, now: Date = Date()) -> Date? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return now.addingTimeInterval(TimeInterval(max(seconds, 0))) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value)
    }

    static func formEncoded(_ fields: [(String, String)]) -> String {
        // ASCII only: every other byte of the UTF-8 is percent-encoded.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }.joined(separator: "&")
    }
}
