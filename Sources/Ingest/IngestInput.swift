import EmailParsing
import InboundParsing
import LanguageDetection

/// A parsed inbound message as `ingest_message()` reads it (a jsonb object; the fields are
/// listed in docs/ingest.md). Built here so the SQL side never parses payloads.
struct IngestInput: Codable, Sendable {
    struct Attachment: Codable, Sendable {
        var filename: String?
        var contentType: String
        var size: Int?
        var url: String?
        enum CodingKeys: String, CodingKey { case filename, contentType = "content_type", size, url }
    }

    struct Details: Codable, Sendable {
        var platform: String?
        var callAgent: String?
        var callDurationSeconds: Int?
        enum CodingKeys: String, CodingKey { case platform, callAgent = "call_agent", callDurationSeconds = "call_duration_seconds" }
    }

    var channel: String
    var email: String?
    var phone: String?
    var platform: String?
    var handle: String?
    var chatSession: String?
    var name: String?
    var subject: String?
    var text: String
    var fullText: String
    var html: String?
    var attachments: [Attachment]
    var messageID: String?
    var inReplyTo: String?
    var references: [String]
    var recipients: [String]
    var threadID: String?
    var orderNumber: String?
    var topic: String?
    var details: Details
    var automaticReason: String?
    var deliveryFailures: [DeliveryFailure]
    /// ISO 639 code, or "unknown".
    var language: String
    /// Subject and text lower-cased here, where case folding is Unicode-correct whatever the
    /// database's locale; the rule tables' patterns are matched against it, and the category
    /// model reads it.
    var matchText: String
    /// The category model's guess, when the worker has a model; used where no rule matches.
    var categoryModel: CategoryGuess?

    struct CategoryGuess: Codable, Sendable {
        var category: String
        var probability: Double
        var version: Int64
    }

    enum CodingKeys: String, CodingKey {
        case channel, email, phone, platform, handle, chatSession = "chat_session", name, subject, text
        case fullText = "full_text", html, attachments, messageID = "message_id", inReplyTo = "in_reply_to", references, recipients
        case threadID = "thread_id", orderNumber = "order_number", topic, details, automaticReason = "automatic_reason"
        case deliveryFailures = "delivery_failures"
        case language, matchText = "match_text", categoryModel = "category_model"
    }

    init(_ message: InboundMessage) {
        let subjectAndText = [message.subject, message.text].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
        // The new text alone says most about the writer's language; the subject helps when it is short.
        var detected = LanguageDetector.detect(message.text)
        if detected.code == nil { detected = LanguageDetector.detect(subjectAndText) }
        channel = message.channel.rawValue
        email = message.sender.email
        phone = message.sender.phone
        platform = message.sender.platform
        handle = message.sender.handle
        chatSession = message.sender.chatSession
        name = message.sender.name
        subject = message.subject
        text = message.text
        fullText = message.fullText
        html = message.html
        attachments = message.attachments.map { Attachment(filename: $0.filename, contentType: $0.contentType, size: $0.size, url: $0.url) }
        messageID = message.messageID
        inReplyTo = message.inReplyTo
        references = message.references
        recipients = message.recipients
        threadID = message.threadID
        orderNumber = message.orderNumber
        topic = message.topic
        details = Details(platform: message.sender.platform, callAgent: message.callAgent, callDurationSeconds: message.callDurationSeconds)
        automaticReason = message.automaticReason
        deliveryFailures = message.deliveryFailures
        language = detected.code ?? "unknown"
        matchText = subjectAndText.lowercased()
    }
}
