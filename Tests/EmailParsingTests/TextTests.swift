import EmailParsing
import Testing

@Suite("Readable text: HTML to text, quoted replies")
struct TextTests {
    @Test("HTML becomes readable text: blocks, breaks, lists, links; scripts and styles dropped")
    func htmlToText() {
        let html = """
            <html><head><title>t</title><style>p { color: red }</style></head><body>
            <p>Hello&nbsp;team,</p><p>my   order <b>#1234</b><br>has not arrived.</p>
            <ul><li>blue jacket</li><li>scarf</li></ul>
            <script>alert(1)</script>
            <p>Tracking: <a href="https://track.example/abc">here</a></p>
            <div>Дякую!</div></body></html>
            """
        #expect(HTMLText.plainText(fromHTML: html) == """
            Hello team,

            my order #1234
            has not arrived.

            - blue jacket
            - scarf

            Tracking: here <https://track.example/abc>

            Дякую!
            """)
    }

    @Test("broken HTML is read as browsers read it, and never crashes", arguments: [
        ("<p>unclosed <b>bold <i>both</p> after", "unclosed bold both\n\nafter"),
        ("plain text, no tags", "plain text, no tags"),
        ("<div><<>>&amp;&lt;&#x41;</div>", "<<>>&<A"),
        ("", ""),
    ])
    func brokenHTML(_ html: String, _ expected: String) {
        #expect(HTMLText.plainText(fromHTML: html) == expected)
    }

    @Test("earlier messages quoted below a reply are cut, in every supported language", arguments: [
        ("Thanks, that helps.\n\nOn Mon, 3 Nov 2026 at 10:00, Shop Support <support@shop.example> wrote:\n> Your parcel left our warehouse.", "Thanks, that helps."),
        ("Дякую, отримала.\n\nпн, 3 лист. 2026 р. о 10:00 Shop <support@shop.example> пише:\n> Ваша посилка в дорозі.", "Дякую, отримала."),
        ("Спасибо, получила.\n\n3 нояб. 2026 г., в 10:00, Shop <support@shop.example> написал(а):\n> Ваша посылка в пути.", "Спасибо, получила."),
        ("Dziękuję, doszło.\n\nW dniu 3.11.2026 o 10:00 Shop <support@shop.example> napisał(a):\n> Paczka w drodze.", "Dziękuję, doszło."),
        ("شكرا، وصل الطلب.\n\nفي 3 نوفمبر 2026، كتب Shop <support@shop.example>:\n> طلبك في الطريق.", "شكرا، وصل الطلب."),
        ("谢谢，收到了。\n\n2026年11月3日 10:00，Shop <support@shop.example> 写道：\n> 您的包裹已发出。", "谢谢，收到了。"),
        ("Still waiting.\n\n-----Original Message-----\nFrom: Shop\nSent: Monday\n\nYour parcel left.", "Still waiting."),
        ("Still waiting.\n\n________________________________\nFrom: Shop Support\nSent: Monday", "Still waiting."),
        ("Long name wraps.\n\nOn Mon, 3 Nov 2026 at 10:00, A Very Long Support Team Name\n<support@shop.example> wrote:\n> old", "Long name wraps."),
        ("Bottom quote only\n> earlier line\n> another", "Bottom quote only"),
    ])
    func quotedReplies(_ text: String, _ expected: String) {
        #expect(QuotedReply.newContent(of: text) == expected)
    }

    @Test("an HTML reply's quoted message (Gmail, Apple Mail, Thunderbird blockquotes) is quoted in the text and cut from the new text")
    func htmlQuotes() {
        let html = """
            <div dir="ltr">Thanks, it arrived today.<br></div><br>
            <div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Nov 2026 at 10:00, Shop Support &lt;support@shop.example&gt; wrote:<br></div>
            <blockquote class="gmail_quote" style="margin:0 0 0 .8ex"><p>Your parcel left our warehouse.</p><p>Tracking: 2045</p>
            <blockquote>Earlier: where is my order?</blockquote></blockquote></div>
            """
        let text = HTMLText.plainText(fromHTML: html)
        #expect(text == """
            Thanks, it arrived today.
            On Mon, 3 Nov 2026 at 10:00, Shop Support <support@shop.example> wrote:

            > Your parcel left our warehouse.
            >
            > Tracking: 2045
            >
            >> Earlier: where is my order?
            """)
        #expect(QuotedReply.newContent(of: text) == "Thanks, it arrived today.")
    }

    @Test("an Outlook HTML reply: the rule and the From:/Sent: header above the quoted message end the new text")
    func outlookHTML() {
        let html = """
            <div>Yes, please send a replacement.</div>
            <hr style="display:inline-block;width:98%" tabindex="-1">
            <div id="divRplyFwdMsg" dir="ltr"><b>From:</b> Shop Support &lt;support@shop.example&gt;<br>
            <b>Sent:</b> Monday, November 3, 2026 10:00<br><b>Subject:</b> Your order</div>
            <div>Your parcel was damaged in transit.</div>
            """
        let text = HTMLText.plainText(fromHTML: html)
        #expect(text.contains("________________________________\nFrom: Shop Support"), "\(text)")
        #expect(QuotedReply.newContent(of: text) == "Yes, please send a replacement.")
    }

    @Test("inline answers between quoted lines, and text without quotes, are kept whole")
    func keptWhole() {
        let inline = "> Which size did you order?\nM, the blue one.\n> And the colour?\nBlue."
        #expect(QuotedReply.newContent(of: inline) == inline)
        let plain = "I wrote: please call me back.\nThanks"
        #expect(QuotedReply.newContent(of: plain) == plain)
    }
}
