import CGMimeShim
public import Foundation

/// An email to compose. Addresses are bare (`emma@example.com`); message ids have no brackets.
public struct OutgoingMail: Sendable {
    public var fromName: String?
    public var fromAddress: String
    public var toName: String?
    public var toAddress: String
    public var replyTo: String?
    public var subject: String?
    public var messageID: String
    public var inReplyTo: String?
    public var references: [String]
    public var date: Date
    public var text: String
    /// The customer's locale: right-to-left scripts get `dir="rtl"` in the HTML part.
    public var locale: String
    /// Further headers, in order (`Auto-Submitted`, `List-Unsubscribe`…).
    public var headers: [(name: String, value: String)]

    public init(fromName: String? = nil, fromAddress: String, toName: String? = nil, toAddress: String, replyTo: String? = nil,
                subject: String?, messageID: String, inReplyTo: String? = nil, references: [String] = [], date: Date = Date(),
                text: String, locale: String, headers: [(name: String, value: String)] = []) {
        self.fromName = fromName
        self.fromAddress = fromAddress
        self.toName = toName
        self.toAddress = toAddress
        self.replyTo = replyTo
        self.subject = subject
        self.messageID = messageID
        self.inReplyTo = inReplyTo
        self.references = references
        self.date = date
        self.text = text
        self.locale = locale
        self.headers = headers
    }
}

/// Composes mail with GMime: multipart/alternative of the text and an HTML rendering of it,
/// names and subjects RFC 2047-encoded where they are not ASCII, UTF-8 bodies made 7-bit safe,
/// CRLF line ends.
public enum MailComposer {
    /// Languages written right to left.
    static let rightToLeft: Set<String> = ["ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv"]

    public static func compose(_ mail: OutgoingMail) -> [UInt8] {
        let arena = CStringArena()
        var outgoing = sb_mime_outgoing(
            from_name: arena.c(mail.fromName), from_address: arena.c(mail.fromAddress), to_name: arena.c(mail.toName),
            to_address: arena.c(mail.toAddress), reply_to: arena.c(mail.replyTo), subject: arena.c(mail.subject),
            message_id: arena.c(mail.messageID), in_reply_to: arena.c(mail.inReplyTo),
            references: arena.c(mail.references.isEmpty ? nil : mail.references.joined(separator: " ")),
            date: Int64(mail.date.timeIntervalSince1970), text: arena.c(mail.text),
            html: arena.c(html(for: mail.text, locale: mail.locale)),
            header_names: arena.c(mail.headers.map(\.name)), header_values: arena.c(mail.headers.map(\.value)),
            header_count: Int32(mail.headers.count))
        var length = 0
        guard let bytes = withExtendedLifetime(arena, { sb_mime_compose(&outgoing, &length) }) else {
            // GMime writes to memory; failing means it could not allocate.
            fatalError("GMime could not compose a message (out of memory)")
        }
        defer { sb_mime_free_bytes(bytes) }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }

    /// The text as a small HTML document: escaped, paragraphs at blank lines, line breaks kept,
    /// links left as text, and the direction and language of the customer's locale.
    public static func html(for text: String, locale: String) -> String {
        let language = String(locale.prefix { $0 != "-" && $0 != "_" }).lowercased()
        let direction = rightToLeft.contains(language) ? "rtl" : "ltr"
        return """
            <!DOCTYPE html>
            <html lang="\(escape(language))" dir="\(direction)">
            <head><meta charset="utf-8"></head>
            <body dir="\(direction)">
            \(paragraphs(text))
            </body>
            </html>
            """
    }

    /// The text's paragraphs as `<p>` elements, one per line: a paragraph ends at a blank line
    /// (two or more line feeds; CRLF counts as LF), loses the line ends around it, and keeps
    /// those within it as `<br>`. One pass over the scalars: the Foundation string calls this
    /// replaced spent a third of the worker's time on a 2 KB mail.
    static func paragraphs(_ text: String) -> String {
        var html = String.UnicodeScalarView()
        var paragraph: [Unicode.Scalar] = []
        func isLineEnd(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x0A...0x0D, 0x85, 0x2028, 0x2029: true
            default: false
            }
        }
        func flush() {
            guard let first = paragraph.firstIndex(where: { !isLineEnd($0) }),
                  let last = paragraph.lastIndex(where: { !isLineEnd($0) }) else { paragraph.removeAll(keepingCapacity: true); return }
            if !html.isEmpty { html.append("\n") }
            html.append(contentsOf: "<p>".unicodeScalars)
            for scalar in paragraph[first...last] {
                switch scalar {
                case "\n": html.append(contentsOf: "<br>\n".unicodeScalars)
                default: appendEscaped(scalar, to: &html)
                }
            }
            html.append(contentsOf: "</p>".unicodeScalars)
            paragraph.removeAll(keepingCapacity: true)
        }
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var feeds = 0
        while index < scalars.count {
            var scalar = scalars[index]
            index += 1
            if scalar == "\r", index < scalars.count, scalars[index] == "\n" {
                scalar = "\n"
                index += 1
            }
            if scalar == "\n" {
                feeds += 1
                if feeds == 2 {
                    flush()
                    continue
                }
                if feeds > 2 { continue }
            } else {
                feeds = 0
            }
            paragraph.append(scalar)
        }
        flush()
        return String(html)
    }

    static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { appendEscaped(scalar, to: &escaped) }
        return String(escaped)
    }

    private static func appendEscaped(_ scalar: Unicode.Scalar, to html: inout String.UnicodeScalarView) {
        switch scalar {
        case "&": html.append(contentsOf: "&amp;".unicodeScalars)
        case "<": html.append(contentsOf: "&lt;".unicodeScalars)
        case ">": html.append(contentsOf: "&gt;".unicodeScalars)
        case "\"": html.append(contentsOf: "&quot;".unicodeScalars)
        default: html.append(scalar)
        }
    }
}
