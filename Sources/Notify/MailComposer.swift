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
    /// those within it as `<br>`. One pass over the UTF-8 bytes in place (everything it looks for
    /// is ASCII but the Unicode line ends it trims): Foundation's string calls, which this
    /// replaced, spent a third of the worker's time on a 2 KB mail.
    static func paragraphs(_ text: String) -> String {
        var text = text
        let html = text.withUTF8 { bytes -> [UInt8] in
            var html: [UInt8] = []
            html.reserveCapacity(bytes.count + bytes.count / 8 + 16)
            func append(paragraph: Range<Int>) {
                var start = paragraph.lowerBound, end = paragraph.upperBound
                while start < end, let length = lineEnd(startingAt: start, in: bytes) { start += length }
                while start < end, let length = lineEnd(endingAt: end, after: start, in: bytes) { end -= length }
                guard start < end else { return }
                if !html.isEmpty { html.append(UInt8(ascii: "\n")) }
                html.append(contentsOf: "<p>".utf8)
                // Runs of plain bytes are copied whole.
                var plain = start
                for index in start..<end {
                    let byte = bytes[index]
                    let entity = entity(for: byte)
                    guard entity != nil || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") else { continue }
                    html.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<index]))
                    plain = index + 1
                    if let entity {
                        html.append(contentsOf: entity.utf8)
                    } else if byte == UInt8(ascii: "\n") {
                        html.append(contentsOf: "<br>\n".utf8)
                    } else if index + 1 == end || bytes[index + 1] != UInt8(ascii: "\n") {
                        html.append(byte)  // a CR alone; before an LF it goes with the LF
                    }
                }
                html.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<end]))
                html.append(contentsOf: "</p>".utf8)
            }
            var start = 0, index = 0, feeds = 0
            while index < bytes.count {
                let lineEndStart = index
                var byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\r"), index < bytes.count, bytes[index] == UInt8(ascii: "\n") {
                    byte = UInt8(ascii: "\n")
                    index += 1
                }
                guard byte == UInt8(ascii: "\n") else {
                    feeds = 0
                    continue
                }
                feeds += 1
                if feeds == 2 { append(paragraph: start..<lineEndStart) }
                if feeds >= 2 { start = index }
            }
            append(paragraph: start..<bytes.count)
            return html
        }
        return String(decoding: html, as: UTF8.self)
    }

    /// The length of the line end (LF, VT, FF, CR, NEL, LS, PS) that starts at `index`, if one does.
    private static func lineEnd(startingAt index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        switch bytes[index] {
        case 0x0A...0x0D: return 1
        case 0xC2 where index + 1 < bytes.count && bytes[index + 1] == 0x85: return 2
        case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9): return 3
        default: return nil
        }
    }

    /// The length of the line end that ends just before `end` and after `start`, if one does. (A
    /// lead byte such as 0xC2 or 0xE2 never continues another character, so these endings are
    /// what they seem.)
    private static func lineEnd(endingAt end: Int, after start: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        if (0x0A...0x0D).contains(bytes[end - 1]) { return 1 }
        if end - 2 >= start, bytes[end - 2] == 0xC2, bytes[end - 1] == 0x85 { return 2 }
        if end - 3 >= start, bytes[end - 3] == 0xE2, bytes[end - 2] == 0x80, bytes[end - 1] == 0xA8 || bytes[end - 1] == 0xA9 { return 3 }
        return nil
    }

    static func escape(_ text: String) -> String {
        var escaped: [UInt8] = []
        for byte in text.utf8 { appendEscaped(byte, to: &escaped) }
        return String(decoding: escaped, as: UTF8.self)
    }

    private static func appendEscaped(_ byte: UInt8, to html: inout [UInt8]) {
        if let entity = entity(for: byte) { html.append(contentsOf: entity.utf8) } else { html.append(byte) }
    }

    /// What `byte` must be written as in HTML text and attribute values, when not itself.
    private static func entity(for byte: UInt8) -> String? {
        switch byte {
        case UInt8(ascii: "&"): "&amp;"
        case UInt8(ascii: "<"): "&lt;"
        case UInt8(ascii: ">"): "&gt;"
        case UInt8(ascii: "\""): "&quot;"
        default: nil
        }
    }
}
