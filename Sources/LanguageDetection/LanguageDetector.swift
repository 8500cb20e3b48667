import CCLD2

/// The language of a message, or unknown when the text is too short or too mixed to tell.
public struct DetectedLanguage: Sendable, Equatable, CustomStringConvertible {
    /// ISO 639-1 code ("en", "uk", "ru", "pl", "ar", "zh", …), or nil when unknown.
    public let code: String?
    /// Share of the scored text in that language, 0–100.
    public let percent: Int

    public static let unknown = DetectedLanguage(code: nil, percent: 0)

    public init(code: String?, percent: Int) {
        self.code = code
        self.percent = percent
    }

    public var description: String { code ?? "unknown" }
}

/// Language detection with CLD2 (Debian's `libcld2-dev`), with the rules a helpdesk needs on top:
/// text with too few letters is "unknown" rather than a guess, and so is anything CLD2 itself
/// does not call reliable.
public enum LanguageDetector {
    /// Letters needed before a guess is made. Ideographs (Chinese, Japanese kanji) carry more per
    /// character and count three each.
    public static let defaultMinimumLetters = 12

    public static func detect(_ text: String, minimumLetters: Int = defaultMinimumLetters) -> DetectedLanguage {
        guard hasLetters(text, atLeast: minimumLetters) else { return .unknown }
        let length = text.utf8.count
        guard length > 0, length < Int(Int32.max) else { return .unknown }
        var code = [CChar](repeating: 0, count: 16)
        var percent: Int32 = 0, reliable: Int32 = 0, scored: Int32 = 0
        text.withCString { bytes in
            code.withUnsafeMutableBufferPointer { out in
                switchboard_cld2_detect(bytes, Int32(length), out.baseAddress, Int32(out.count), &percent, &reliable, &scored)
            }
        }
        let name = String(decoding: code.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard reliable == 1, name != "un", !name.isEmpty else { return .unknown }
        return DetectedLanguage(code: normalise(name), percent: Int(percent))
    }

    /// CLD2 says "zh" for simplified and "zh-Hant" for traditional Chinese; a conversation needs
    /// the language, not the script.
    private static func normalise(_ code: String) -> String {
        code.split(separator: "-").first.map(String.init)?.lowercased() ?? code
    }

    /// Whether `text` has at least `minimum` letters (an ideograph counts three); counting stops there.
    static func hasLetters(_ text: String, atLeast minimum: Int) -> Bool {
        var weight = 0
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            weight += scalar.properties.isIdeographic ? 3 : 1
            if weight >= minimum { return true }
        }
        return weight >= minimum
    }
}
