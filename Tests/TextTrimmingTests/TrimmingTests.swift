import Foundation
import Testing
import TextTrimming

@Suite("Trimming whitespace without Foundation")
struct TrimmingTests {
    static let samples = [
        "", " ", "\t\n\r ", "plain", "  both ends  ", "\u{00A0}no-break\u{3000}", "\u{2028}line separators\u{2029}",
        "\u{0085}next line\u{000B}\u{000C}", " inner  spaces\tstay ", "\n\nПривіт, світ\n", " مرحبا ", "\u{3000}你好\u{3000}",
        " 👩🏽‍💻 ", " e\u{301} ", "\u{200B}zero width space, as Foundation trims it\u{200B}", "\u{2060}word joiner stays\u{2060}", "\u{FEFF}bom\u{FEFF}",
    ]

    @Test("trimmingWhitespace agrees with Foundation's whitespacesAndNewlines", arguments: samples)
    func whitespaceAndNewlines(sample: String) {
        #expect(sample.trimmingWhitespace() == sample.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(sample[...].trimmingWhitespace() == sample.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test("trimmingSpaces agrees with Foundation's whitespaces and keeps line breaks", arguments: samples)
    func spaces(sample: String) {
        #expect(sample.trimmingSpaces() == sample.trimmingCharacters(in: .whitespaces))
    }

    @Test("every scalar Foundation calls white space or a newline is trimmed, and no other")
    func everyScalar() {
        for value in UInt32(0)...0x2FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = "\(Character(scalar))x\(Character(scalar))"
            #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines), "U+\(String(value, radix: 16))")
            #expect(text.trimmingSpaces() == text.trimmingCharacters(in: .whitespaces), "U+\(String(value, radix: 16))")
        }
    }
}
