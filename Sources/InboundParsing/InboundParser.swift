import Helpdesk
public import Foundation
import EmailParsing
import Identity
import TextTrimming

/// Why an inbound row was rejected: a stable code for queries and a message for people.
public struct InboundRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownChannel = "unknown_channel"
        case tooLarge = "too_large"
        case invalidUTF8 = "invalid_utf8"
        case malformed = "malformed_payload"
        case missingSender = "missing_sender"
        case invalidSender = "invalid_sender"
        case empty = "empty_message"
    }

    public let code: Code
    public let message: String
    public var description: String { "\(code.rawValue): \(message)" }

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Turns a stored payload into an ``InboundMessage``, or says exactly why it cannot. Payload
/// formats are in docs/integrations.md: email is the raw RFC 5322 message; every other channel
/// is a JSON object.
public struct InboundParser: Sendable {
    /// Payloads above this many bytes are rejected.
    public var maximumBytes: Int
    /// Region (ISO 3166 alpha-2) for phone numbers written without a country code.
    public var defaultRegion: String?

    public init(maximumBytes: Int = 10 * 1024 * 1024, defaultRegion: String? = nil) {
        self.maximumBytes = maximumBytes
        self.defaultRegion = defaultRegion
    }

    public func parse(channel name: String, payload: Data) throws(InboundRejection) -> InboundMessage {
        guard let channel = Channel(rawValue: name) else {
            throw InboundRejection(.unknownChannel, "unknown channel '\(name.prefix(40))'; known: \(Channel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard payload.count <= maximumBytes else {
            throw InboundRejection(.tooLarge, "the payload is \(payload.count) bytes; the limit is \(maximumBytes)")
        }
        let read: (Fields) throws(InboundRejection) -> InboundMessage
        switch channel {
        case .email: return try email(payload)
        case .sms: read = sms
        case .chat: read = chat
        case .social: read = social
        case .webform: read = webform
        case .phone: read = phoneCall
        }
        let message = try read(try fields(of: payload, channel))
        guard !message.sender.isEmpty else { throw InboundRejection(.missingSender, "the \(channel.rawValue) payload names no sender") }
        return message
    }

    /// The JSON object every channel but email sends.
    private func fields(of payload: Data, _ channel: Channel) throws(InboundRejection) -> Fields {
        guard String(validating: payload, as: UTF8.self) != nil else {
            throw InboundRejection(.invalidUTF8, "the \(channel.rawValue) payload is not valid UTF-8")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: payload) } catch {
            throw InboundRejection(.malformed, "the \(channel.rawValue) payload is not JSON: \(error.localizedDescription)")
        }
        guard let object = parsed as? [String: Any] else {
            throw InboundRejection(.malformed, "the \(channel.rawValue) payload is not a JSON object")
        }
        return Fields(object: object, channel: channel)
    }

    // MARK: Channels

    private func email(_ payload: Data) throws(InboundRejection) -> InboundMessage {
        let parsed: ParsedEmail
        do { parsed = try ParsedEmail.parse(payload) } catch {
            throw InboundRejection(.malformed, "the email does not parse: \(error)")
        }
        guard let raw = parsed.fromAddress else { throw InboundRejection(.missingSender, "the email has no From address") }
        let address: String
        do { address = try ContactNormalisation.email(raw) } catch {
            throw InboundRejection(.invalidSender, "the email's From is not an address: \(error)")
        }
        let full = parsed.readableText ?? ""
        let newText = parsed.newText ?? ""
        guard !newText.isEmpty || !parsed.attachments.isEmpty || parsed.subject != nil else {
            throw InboundRejection(.empty, "the email has no subject, text or attachment")
        }
        var message = InboundMessage(
            channel: .email, sender: Sender(email: address, name: parsed.fromName), subject: parsed.subject,
            text: newText, fullText: full, html: parsed.html,
            attachments: parsed.attachments.map { AttachmentInfo(filename: $0.filename, contentType: $0.contentType, size: $0.size) },
            messageID: parsed.messageID, inReplyTo: parsed.inReplyTo, references: parsed.references,
            automaticReason: parsed.automaticReason)
        message.recipients = parsed.recipients.map { $0.lowercased() }
        message.deliveryFailures = parsed.deliveryFailures
        return message
    }

    private func sms(_ fields: Fields) throws(InboundRejection) -> InboundMessage {
        let from = try phone(fields.required("from"), field: "from")
        let text = fields.optional("text") ?? ""
        let media = try fields.media()
        guard !text.isEmpty || !media.isEmpty else { throw InboundRejection(.empty, "the sms has neither text nor media") }
        return base(.sms, Sender(phone: from), text: text, attachments: media)
    }

    private func chat(_ fields: Fields) throws(InboundRejection) -> InboundMessage {
        let session = try fields.required("session_id")
        let visitor = fields.object("visitor")
        var sender = Sender(chatSession: session, name: visitor?["name"] as? String)
        if let email = visitor?["email"] as? String, !email.isEmpty { sender.email = try self.email(email, field: "visitor.email") }
        if let phone = visitor?["phone"] as? String, !phone.isEmpty { sender.phone = try self.phone(phone, field: "visitor.phone") }
        var message = base(.chat, sender, text: try fields.requiredText())
        message.threadID = session
        return message
    }

    private func social(_ fields: Fields) throws(InboundRejection) -> InboundMessage {
        let platform = try fields.required("platform").lowercased()
        let senderID = try fields.required("sender_id")
        var sender = Sender(platform: platform, handle: senderID, name: fields.optional("sender_name"))
        // WhatsApp and Viber identify people by phone number: link them to the same customer.
        if ["whatsapp", "viber"].contains(platform), let phone = try? ContactNormalisation.phone(senderID, defaultRegion: defaultRegion) {
            sender.phone = phone
        }
        var message = base(.social, sender, text: fields.optional("text") ?? "", attachments: try fields.media())
        guard !message.text.isEmpty || !message.attachments.isEmpty else { throw InboundRejection(.empty, "the social message has neither text nor media") }
        message.threadID = fields.optional("thread_id")
        return message
    }

    private func webform(_ fields: Fields) throws(InboundRejection) -> InboundMessage {
        let email = try self.email(try fields.required("email"), field: "email")
        var message = base(.webform, Sender(email: email, name: fields.optional("name")), text: try fields.requiredText())
        message.orderNumber = fields.optional("order_number")
        message.topic = fields.optional("topic")
        message.subject = message.topic
        return message
    }

    private func phoneCall(_ fields: Fields) throws(InboundRejection) -> InboundMessage {
        let caller = try phone(fields.required("caller"), field: "caller")
        let text = fields.optional("transcript") ?? fields.optional("notes") ?? ""
        guard !text.isEmpty else { throw InboundRejection(.empty, "the phone call log has neither transcript nor notes") }
        var message = base(.phone, Sender(phone: caller), text: text)
        message.callAgent = fields.optional("agent")
        message.callDurationSeconds = fields.integer("duration_seconds")
        return message
    }

    // MARK: Helpers

    private func base(_ channel: Channel, _ sender: Sender, text: String, attachments: [AttachmentInfo] = []) -> InboundMessage {
        let trimmed = text.trimmingWhitespace()
        return InboundMessage(channel: channel, sender: sender, subject: nil, text: trimmed, fullText: trimmed, html: nil,
                              attachments: attachments, messageID: nil, inReplyTo: nil, references: [])
    }

    private func phone(_ raw: String, field: String) throws(InboundRejection) -> String {
        do { return try ContactNormalisation.phone(raw, defaultRegion: defaultRegion) } catch {
            throw InboundRejection(.invalidSender, "\(field): \(error)")
        }
    }

    private func email(_ raw: String, field: String) throws(InboundRejection) -> String {
        do { return try ContactNormalisation.email(raw) } catch {
            throw InboundRejection(.invalidSender, "\(field): \(error)")
        }
    }
}

/// Typed reads of a JSON object's fields, with rejections that name the field.
private struct Fields {
    let object: [String: Any]
    let channel: Channel

    func optional(_ name: String) -> String? {
        guard let value = object[name] as? String else { return nil }
        let trimmed = value.trimmingWhitespace()
        return trimmed.isEmpty ? nil : trimmed
    }

    func required(_ name: String) throws(InboundRejection) -> String {
        guard object[name] != nil, !(object[name] is NSNull) else {
            throw InboundRejection(name == "text" ? .empty : .missingSender, "the \(channel.rawValue) payload has no '\(name)'")
        }
        guard let value = optional(name) else {
            throw InboundRejection(.malformed, "the \(channel.rawValue) payload's '\(name)' must be a non-empty string")
        }
        return value
    }

    func requiredText() throws(InboundRejection) -> String {
        guard let text = optional("text") else { throw InboundRejection(.empty, "the \(channel.rawValue) message has no text") }
        return text
    }

    func object(_ name: String) -> [String: Any]? { object[name] as? [String: Any] }

    func integer(_ name: String) -> Int? { (object[name] as? NSNumber)?.intValue }

    func media() throws(InboundRejection) -> [AttachmentInfo] {
        guard let raw = object["media"] else { return [] }
        guard let items = raw as? [[String: Any]] else {
            throw InboundRejection(.malformed, "the \(channel.rawValue) payload's 'media' must be a list of objects")
        }
        return items.map { item in
            AttachmentInfo(filename: item["filename"] as? String, contentType: (item["content_type"] as? String) ?? "application/octet-stream",
                           size: (item["size"] as? NSNumber)?.intValue, url: item["url"] as? String)
        }
    }
}
