import EmailParsing
import Foundation
import Testing

@Suite("Email parsing (GMime)")
struct ParsedEmailTests {
    /// The corpus written by Corpus/make-corpus.py.
    static func load(_ name: String) throws -> ParsedEmail {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Corpus/\(name)")
        return try ParsedEmail.parse(try Data(contentsOf: url))
    }

    @Test("multipart/alternative with quoted-printable text and base64 HTML; RFC 2047 subject and name")
    func alternative() throws {
        let email = try Self.load("alternative_qp_base64.eml")
        #expect(email.subject == "Де моє замовлення?")
        #expect(email.fromName == "Олена Коваль")
        #expect(email.fromAddress == "olena@example.com")
        #expect(email.messageID == "alt-1@example.com")
        #expect(email.text?.contains("Де моє замовлення №1234? Дякую.") == true)
        #expect(email.html?.contains("<p>Добрий день!") == true)
        #expect(email.attachments.isEmpty)
        #expect(email.automaticReason == nil)
    }

    @Test("legacy 8-bit and multibyte charsets become UTF-8, in headers and bodies", arguments: [
        ("windows1251_8bit.eml", "Где мой заказ?", "Здравствуйте! Посылка не пришла"),
        ("koi8r_qp.eml", "Возврат товара", "Здравствуйте! Посылка не пришла"),
        ("iso8859_2_qp.eml", "Zwrot zamówienia", "Dzień dobry, chciałbym zwrócić zamówienie."),
        ("gb2312_base64.eml", "您好，我的订", "我的订单还没有到"),
        ("big5_base64.eml", "您好，我的訂", "我的訂單還沒有到"),
        ("shift_jis_base64.eml", "こんにちは、", "注文した商品がまだ届いていません"),
    ])
    func charsets(_ file: String, _ subject: String, _ body: String) throws {
        let email = try Self.load(file)
        #expect(email.subject == subject)
        #expect(email.text?.contains(body) == true, "\(email.text ?? "nil")")
    }

    @Test("nested mixed/related/alternative: both bodies, inline image and attachment metadata, threading headers")
    func nested() throws {
        let email = try Self.load("mixed_related_nested.eml")
        #expect(email.text?.trimmingCharacters(in: .whitespacesAndNewlines) == "Zdjęcie w załączniku.")
        #expect(email.html?.contains("cid:img1") == true)
        #expect(email.attachments == [
            .init(filename: "photo.png", contentType: "image/png", size: 108),
            .init(filename: "faktura-żółw.pdf", contentType: "application/pdf", size: 9 + 256 * 8),
        ])
        #expect(email.inReplyTo == "agent-2@shop.example")
        #expect(email.references == ["first-1@example.pl", "agent-2@shop.example"])
        #expect(email.subject == "Re: [#1234] Uszkodzona paczka")
        #expect(email.fromName == "Anna Nowak")
    }

    @Test("HTML-only mail is made readable; the new text of a plain reply leaves out the quoted message")
    func readable() throws {
        let html = try Self.load("html_only_reply.eml")
        #expect(html.text == nil)
        #expect(html.readableText == "Thanks a lot — it arrived today.\n\nCafé au lait!")
        let reply = try ParsedEmail.parse(Data("""
            From: a@example.com\r\nSubject: Re: order\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
            Got it, thanks.\r\n\r\nOn Mon, 3 Nov 2026, Shop <support@shop.example> wrote:\r\n> Shipped today.\r\n
            """.utf8))
        #expect(reply.newText == "Got it, thanks.")
        #expect(reply.readableText?.contains("> Shipped today.") == true)
    }

    @Test("auto-replies and delivery-status bounces are recognised as not a customer writing")
    func automatic() throws {
        #expect(try Self.load("auto_reply.eml").automaticReason == "Auto-Submitted: auto-replied")
        let bounce = try Self.load("bounce_dsn.eml")
        #expect(bounce.automaticReason == "delivery status report")
        #expect(bounce.attachments.map(\.contentType) == ["message/delivery-status", "message/rfc822"])
        #expect(bounce.deliveryFailures == [DeliveryFailure(kind: .hardBounce, address: "gone@example.org", detail: "status 5.1.1")])
    }

    @Test("delivery reports: a hard bounce names its recipient and status, a delay is no failure, a spam complaint names who complained")
    func deliveryReports() {
        let dsn = """
            Reporting-MTA: dns; mx.example.com
            Arrival-Date: Thu, 3 Dec 2026 10:00:00 +0000

            Final-Recipient: rfc822; Gone@Example.org
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address
              rejected: User unknown

            Final-Recipient: rfc822; slow@example.org
            Action: delayed
            Status: 4.4.1
            """
        #expect(DeliveryReport.failures(in: dsn, contentType: "message/delivery-status") == [
            DeliveryFailure(kind: .hardBounce, address: "gone@example.org",
                            detail: "status 5.1.1: 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown")])
        let arf = "Feedback-Type: abuse\r\nUser-Agent: SomeISP/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: <olena@example.com>\r\n"
        #expect(DeliveryReport.failures(in: arf, contentType: "message/feedback-report") == [
            DeliveryFailure(kind: .complaint, address: "olena@example.com", detail: "feedback type abuse")])
        #expect(DeliveryReport.failures(in: "garbage\n\n:::", contentType: "message/delivery-status").isEmpty)
    }

    @Test("an empty message is refused with a reason; arbitrary bytes never crash the parser")
    func badInput() throws {
        #expect(throws: EmailParseError.self) { try ParsedEmail.parse(Data()) }
        var generator = SystemRandomNumberGenerator()
        let corpus = try FileManager.default.contentsOfDirectory(
            at: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Corpus"), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }.map { try Data(contentsOf: $0) }
        for _ in 0..<300 {
            var bytes = corpus.randomElement(using: &generator)!
            bytes = bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))
            for _ in 0..<Int.random(in: 0...20, using: &generator) where !bytes.isEmpty {
                bytes[bytes.startIndex + Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? ParsedEmail.parse(bytes)
        }
    }
}
