import Helpdesk
import Foundation
import InboundParsing
import Testing

@Suite("Inbound payloads of every channel")
struct InboundParserTests {
    let parser = InboundParser(maximumBytes: 64 * 1024, defaultRegion: "UA")

    func parse(_ channel: String, _ json: String) throws(InboundRejection) -> InboundMessage {
        try parser.parse(channel: channel, payload: Data(json.utf8))
    }

    @Test("each channel's payload becomes one message shape with a normalised sender")
    func channels() throws {
        let sms = try parse("sms", #"{"from": "067 123 45 67", "to": "+380441234567", "text": " Де моє замовлення? ", "media": [{"url": "https://m.example/1.jpg", "content_type": "image/jpeg"}]}"#)
        #expect(sms.sender.phone == "+380671234567" && sms.text == "Де моє замовлення?" && sms.attachments.count == 1)

        let chat = try parse("chat", #"{"session_id": "s-42", "visitor": {"email": "Anna@Example.PL", "name": "Anna"}, "text": "Gdzie jest moja paczka?"}"#)
        #expect(chat.sender == Sender(email: "anna@example.pl", chatSession: "s-42", name: "Anna"))
        #expect(chat.threadID == "s-42")

        let whatsapp = try parse("social", #"{"platform": "WhatsApp", "sender_id": "+48600700800", "sender_name": "Jan", "thread_id": "t1", "text": "Hi"}"#)
        #expect(whatsapp.sender.platform == "whatsapp" && whatsapp.sender.phone == "+48600700800" && whatsapp.threadID == "t1")
        let instagram = try parse("social", #"{"platform": "instagram", "sender_id": "1784140", "text": "مرحبا"}"#)
        #expect(instagram.sender.handle == "1784140" && instagram.sender.phone == nil)

        let form = try parse("webform", #"{"email": "maria@example.com", "name": "Maria", "order_number": "1234", "topic": "delivery", "text": "Not arrived"}"#)
        #expect(form.orderNumber == "1234" && form.topic == "delivery" && form.sender.email == "maria@example.com")

        let call = try parse("phone", #"{"caller": "+7 912 345-67-89", "agent": "olga@shop.example", "duration_seconds": 185, "notes": "Asked about a refund"}"#)
        #expect(call.sender.phone == "+79123456789" && call.callDurationSeconds == 185 && call.text == "Asked about a refund")

        let email = try parser.parse(channel: "email", payload: Data("""
            From: Olena <Olena@Example.com>\r\nSubject: Order\r\nMessage-ID: <m1@example.com>\r\n\r\nWhere is it?\r\n\r\nOn Mon, Shop <s@shop.example> wrote:\r\n> Shipped.\r\n
            """.utf8))
        #expect(email.sender.email == "olena@example.com" && email.text == "Where is it?" && email.messageID == "m1@example.com")
        #expect(email.fullText.contains("> Shipped."))
    }

    @Test("bad payloads are rejected with a specific reason", arguments: [
        ("fax", "{}", InboundRejection.Code.unknownChannel),
        ("sms", "not json", .malformed),
        ("sms", "[1, 2]", .malformed),
        ("sms", #"{"text": "hi"}"#, .missingSender),
        ("sms", #"{"from": "hello", "text": "hi"}"#, .invalidSender),
        ("sms", #"{"from": "+380671234567"}"#, .empty),
        ("sms", #"{"from": 380671234567, "text": "hi"}"#, .malformed),
        ("chat", #"{"session_id": "s", "visitor": {"email": "not-an-email"}, "text": "hi"}"#, .invalidSender),
        ("chat", #"{"session_id": "s"}"#, .empty),
        ("social", #"{"platform": "telegram", "text": "hi"}"#, .missingSender),
        ("social", #"{"platform": "telegram", "sender_id": "1", "media": "x"}"#, .malformed),
        ("webform", #"{"email": "a@b.co"}"#, .empty),
        ("phone", #"{"caller": "+380671234567"}"#, .empty),
        ("email", "", .malformed),
        ("email", "Subject: no sender\r\n\r\nhello", .missingSender),
    ])
    func rejections(_ channel: String, _ payload: String, _ code: InboundRejection.Code) {
        #expect { try parser.parse(channel: channel, payload: Data(payload.utf8)) } throws: { error in
            (error as? InboundRejection)?.code == code
        }
    }

    @Test("oversized and invalid UTF-8 payloads are rejected before parsing")
    func limits() {
        #expect { try parser.parse(channel: "sms", payload: Data(repeating: 0x20, count: 64 * 1024 + 1)) } throws: {
            ($0 as? InboundRejection)?.code == .tooLarge
        }
        #expect { try parser.parse(channel: "chat", payload: Data([0x7B, 0xC3, 0x28, 0x7D])) } throws: {
            ($0 as? InboundRejection)?.code == .invalidUTF8
        }
    }

    @Test("random and truncated payloads never crash the parser")
    func fuzz() {
        let seeds = [
            #"{"from": "+380671234567", "text": "hi", "media": [{"url": "u"}]}"#,
            #"{"session_id": "s", "visitor": {"email": "a@b.co"}, "text": "t"}"#,
            #"{"platform": "whatsapp", "sender_id": "+48600700800", "text": "x"}"#,
            "From: a@b.co\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var bytes = Array(seeds.randomElement(using: &generator)!.utf8)
            bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            for _ in 0..<Int.random(in: 0...6, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let channel = Channel.allCases.randomElement(using: &generator)!.rawValue
            _ = try? parser.parse(channel: channel, payload: Data(bytes))
        }
    }
}
