@testable import Notify
import Testing

@Suite("The HTML part of a mail")
struct MailHTMLTests {
    @Test("paragraphs at blank lines (CRLF or LF, however many), line breaks kept within, markup escaped, line ends around a paragraph dropped")
    func paragraphs() {
        let text = "Hello & <b>welcome</b>\r\n\r\nLine one\nLine two\n\n\n\nLast \"one\"\n"
        #expect(MailComposer.paragraphs(text) == """
            <p>Hello &amp; &lt;b&gt;welcome&lt;/b&gt;</p>
            <p>Line one<br>
            Line two</p>
            <p>Last &quot;one&quot;</p>
            """)
        #expect(MailComposer.paragraphs("") == "")
        #expect(MailComposer.paragraphs("\n\r\n\n") == "")
        // A combining mark on an ampersand does not hide it from the escaping.
        #expect(MailComposer.paragraphs("a &\u{301} b") == "<p>a &amp;\u{301} b</p>")
        #expect(MailComposer.paragraphs("\n\nمرحباً\nشكراً\n\n") == "<p>مرحباً<br>\nشكراً</p>")
        // Unicode line ends around a paragraph go too; within it they stay as they are.
        #expect(MailComposer.paragraphs("\u{2028}\u{85}Привіт\u{2029}світ\u{2029}\u{85}\r") == "<p>Привіт\u{2029}світ</p>")
    }

    @Test("the document carries the locale's language and direction")
    func document() {
        let arabic = MailComposer.html(for: "مرحباً", locale: "ar-SA")
        #expect(arabic.contains("<html lang=\"ar\" dir=\"rtl\">") && arabic.contains("<body dir=\"rtl\">\n<p>مرحباً</p>\n</body>"))
        #expect(MailComposer.html(for: "Hi", locale: "en").contains("<html lang=\"en\" dir=\"ltr\">"))
    }
}
