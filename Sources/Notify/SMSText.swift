/// How an SMS is counted and billed: in segments of GSM-7 septets when every character is in
/// the GSM 03.38 alphabet, else of UCS-2 (UTF-16) code units.
public enum SMSText {
    public enum Encoding: Sendable { case gsm7, ucs2 }

    /// GSM 03.38's basic alphabet: one septet each.
    static let basic = Set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
    /// Its extension table: two septets each (an escape, then the character).
    static let extended = Set("^{}\\[~]|€\u{0C}")

    public static func encoding(of text: String) -> Encoding {
        text.allSatisfy { basic.contains($0) || extended.contains($0) } ? .gsm7 : .ucs2
    }

    /// The units `character` takes in `encoding`: septets, or UTF-16 code units.
    static func units(_ character: Character, _ encoding: Encoding) -> Int {
        switch encoding {
        case .gsm7: extended.contains(character) ? 2 : 1
        case .ucs2: character.utf16.count
        }
    }

    /// Units that fit in `segments` segments: one alone holds 160 septets or 70 UCS-2 units; in a
    /// longer message each holds 153 or 67 (the rest carries the header that joins them).
    static func capacity(_ segments: Int, _ encoding: Encoding) -> Int {
        switch (encoding, segments) {
        case (.gsm7, 1): 160
        case (.ucs2, 1): 70
        case (.gsm7, _): 153 * segments
        case (.ucs2, _): 67 * segments
        }
    }

    /// How many segments `text` is sent as.
    public static func segments(_ text: String) -> Int {
        let encoding = encoding(of: text)
        let length = text.reduce(0) { $0 + units($1, encoding) }
        var segments = 1
        while capacity(segments, encoding) < length { segments += 1 }
        return segments
    }

    /// `text` cut to at most `segments` segments at a character boundary, ending in an ellipsis
    /// ("..." in GSM-7, "…" in UCS-2) when it was cut; as it is when it fits.
    public static func truncated(_ text: String, toSegments segments: Int) -> String {
        let encoding = encoding(of: text)
        let limit = capacity(max(segments, 1), encoding)
        guard text.reduce(0, { $0 + units($1, encoding) }) > limit else { return text }
        let ellipsis = encoding == .gsm7 ? "..." : "…"
        var kept = "", used = ellipsis.reduce(0) { $0 + units($1, encoding) }
        for character in text {
            let size = units(character, encoding)
            guard used + size <= limit else { break }
            kept.append(character)
            used += size
        }
        return kept.trimmingTrailingWhitespace() + ellipsis
    }
}

private extension String {
    func trimmingTrailingWhitespace() -> String {
        var copy = self
        while copy.last?.isWhitespace == true { copy.removeLast() }
        return copy
    }
}
