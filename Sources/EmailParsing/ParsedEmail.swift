public import Foundation
import CGMimeShim
import TextTrimming

/// One RFC 5322 message, parsed with GMime: decoded headers, bodies converted to UTF-8 from their
/// charsets, attachments as metadata, and the headers that threading and auto-reply detection
/// need. The first piece of ingest's email channel (issue 4).
public struct ParsedEmail: Sendable {
    public struct Attachment: Sendable, Equatable {
        public let filename: String?
        public let contentType: String
        /// Decoded size in bytes.
        public let size: Int

        public init(filename: String?, contentType: String, size: Int) {
            self.filename = filename
            self.contentType = contentType
            self.size = size
        }
    }

    public let subject: String?
    public let fromAddress: String?
    public let fromName: String?
    /// Without angle brackets.
    public let messageID: String?
    public let inReplyTo: String?
    /// Oldest first, without angle brackets.
    public let references: [String]
    /// Where it was sent: To, Cc, Delivered-To and X-Original-To addresses.
    public let recipients: [String]
    /// text/plain parts (not attachments), in order, joined by a blank line.
    public let text: String?
    /// text/html parts (not attachments), in order, joined.
    public let html: String?
    public let attachments: [Attachment]
    /// Decoded values of the headers that tell automatic mail apart, by lower-cased name.
    public let automationHeaders: [String: String]
    /// The top-level content type, lower case (e.g. "multipart/report").
    public let contentType: String?
    /// A bounce's or complaint's report: the addresses mail must not go to any more, and why.
    public let deliveryFailures: [DeliveryFailure]

    /// The message as plain text: the text/plain body, or the HTML body made readable when the
    /// mail has only HTML.
    public var readableText: String? {
        if let text, !text.trimmingWhitespace().isEmpty { return text }
        return html.map(HTMLText.plainText(fromHTML:))
    }

    /// What the customer just wrote: ``readableText`` without the earlier messages quoted below it.
    public var newText: String? { readableText.map(QuotedReply.newContent(of:)) }

    /// Why the email is not a customer writing, or nil when it is.
    public var automaticReason: String? {
        if let value = automationHeaders["auto-submitted"]?.lowercased(), !value.hasPrefix("no") {
            return "Auto-Submitted: \(value)"
        }
        if let value = automationHeaders["precedence"]?.lowercased(), ["bulk", "junk", "list", "auto_reply"].contains(value) {
            return "Precedence: \(value)"
        }
        for header in ["x-autoreply", "x-autorespond"] where automationHeaders[header] != nil {
            return "\(header) present"
        }
        if contentType == "multipart/report" || attachments.contains(where: { $0.contentType == "message/delivery-status" }) {
            return "delivery status report"
        }
        if let from = fromAddress?.lowercased(), from.hasPrefix("mailer-daemon@") || from.hasPrefix("postmaster@") {
            return "sent by \(from)"
        }
        return nil
    }

    /// Parses raw message bytes. Throws ``EmailParseError`` when they are not a message at all.
    public static func parse(_ data: Data) throws -> ParsedEmail {
        guard !data.isEmpty else { throw EmailParseError("the message is empty") }
        let parsed = data.withUnsafeBytes { bytes in
            sb_mime_parse(bytes.baseAddress!.assumingMemoryBound(to: CChar.self), bytes.count)
        }
        guard let message = parsed else { throw EmailParseError("not an RFC 5322 message: GMime found no headers and body") }
        defer { sb_mime_free(message) }
        func string(_ pointer: UnsafePointer<CChar>?) -> String? {
            guard let pointer else { return nil }
            let value = String(decoding: UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)), as: UTF8.self)
            return value.isEmpty ? nil : value
        }
        var texts: [String] = [], htmls: [String] = [], attachments: [Attachment] = [], failures: [DeliveryFailure] = []
        for index in 0..<sb_mime_part_count(message) {
            let type = string(sb_mime_part_content_type(message, index)) ?? "application/octet-stream"
            switch sb_mime_part_kind_at(message, index) {
            case SB_MIME_TEXT_PLAIN: if let text = string(sb_mime_part_text(message, index)) { texts.append(text) }
            case SB_MIME_TEXT_HTML: if let html = string(sb_mime_part_text(message, index)) { htmls.append(html) }
            default:
                attachments.append(Attachment(filename: string(sb_mime_part_filename(message, index)), contentType: type,
                                              size: sb_mime_part_size(message, index)))
                if let report = string(sb_mime_part_text(message, index)) {
                    failures += DeliveryReport.failures(in: report, contentType: type)
                }
            }
        }
        var automation: [String: String] = [:]
        for name in ["Auto-Submitted", "Precedence", "X-Autoreply", "X-Autorespond"] {
            if let value = string(sb_mime_header(message, name)) { automation[name.lowercased()] = value }
        }
        let contentType = string(sb_mime_header(message, "Content-Type"))
            .map { $0.split(separator: ";").first.map { $0.trimmingSpaces().lowercased() } ?? "" }
        return ParsedEmail(
            subject: string(sb_mime_subject(message)), fromAddress: string(sb_mime_from_address(message)),
            fromName: string(sb_mime_from_name(message)), messageID: string(sb_mime_message_id(message)),
            inReplyTo: string(sb_mime_in_reply_to(message)),
            references: string(sb_mime_references(message))?.split(separator: " ").map(String.init) ?? [],
            recipients: string(sb_mime_recipients(message))?.split(separator: " ").map(String.init) ?? [],
            text: texts.isEmpty ? nil : texts.joined(separator: "\n\n"), html: htmls.isEmpty ? nil : htmls.joined(separator: "\n"),
            attachments: attachments, automationHeaders: automation, contentType: contentType, deliveryFailures: failures)
    }
}

/// Why a message could not be parsed.
public struct EmailParseError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
