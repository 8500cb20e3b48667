public import EmailParsing
public import Helpdesk


/// Who wrote: whatever the channel tells, normalised (E.164 phones, lower-case emails).
public struct Sender: Sendable, Equatable {
    public var email: String?
    public var phone: String?
    /// Social platform and the sender's id on it ("whatsapp", "messenger", "instagram", "telegram", "viber").
    public var platform: String?
    public var handle: String?
    public var chatSession: String?
    public var name: String?

    public init(email: String? = nil, phone: String? = nil, platform: String? = nil, handle: String? = nil,
                chatSession: String? = nil, name: String? = nil) {
        self.email = email
        self.phone = phone
        self.platform = platform
        self.handle = handle
        self.chatSession = chatSession
        self.name = name
    }

    var isEmpty: Bool { email == nil && phone == nil && handle == nil && chatSession == nil }
}

/// An attachment's metadata (content is never copied into conversations).
public struct AttachmentInfo: Sendable, Equatable {
    public var filename: String?
    public var contentType: String
    public var size: Int?
    public var url: String?

    public init(filename: String? = nil, contentType: String, size: Int? = nil, url: String? = nil) {
        self.filename = filename
        self.contentType = contentType
        self.size = size
        self.url = url
    }
}

/// One inbound message in the same shape whatever its channel: what ingest threads, classifies
/// and answers.
public struct InboundMessage: Sendable {
    public var channel: Channel
    public var sender: Sender
    public var subject: String?
    /// What the customer just wrote (quoted earlier messages removed for email).
    public var text: String
    /// The whole text as received (for email: the readable body including quotes).
    public var fullText: String
    public var html: String?
    public var attachments: [AttachmentInfo]
    /// Email threading: Message-ID, In-Reply-To, References (without brackets).
    public var messageID: String?
    public var inReplyTo: String?
    public var references: [String]
    /// Email: the addresses it was sent to (a signed Reply-To address threads it).
    public var recipients: [String] = []
    /// A thread or conversation id given by the channel (social thread, chat session).
    public var threadID: String?
    /// Web forms: the order number and topic the customer chose.
    public var orderNumber: String?
    public var topic: String?
    /// Phone calls: the agent who took it and the call's length.
    public var callAgent: String?
    public var callDurationSeconds: Int?
    /// Set when the message is machine-written (auto-reply, bounce): not a customer writing.
    public var automaticReason: String?
    /// A bounce's or complaint's addresses that mail must not go to any more.
    public var deliveryFailures: [DeliveryFailure] = []
}
