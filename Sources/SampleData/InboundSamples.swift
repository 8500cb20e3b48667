public import Foundation

/// Realistic inbound traffic for the demo and `bench ingest`: what shoppers write, in six
/// languages, on every channel, shaped as the payloads docs/integrations.md defines.
public enum InboundSamples {
    public struct Text: Sendable {
        public let language: String
        public let subject: String
        public let body: String
    }

    /// Questions shoppers ask, a few per language, covering the categories and the automatic answers.
    public static let texts: [Text] = [
        Text(language: "en", subject: "Where is my order?", body: "Hi, I ordered a rain jacket last week and it still hasn't arrived. Where is my order? Thanks"),
        Text(language: "en", subject: "Return policy", body: "Hello, what is your return policy? The shoes are half a size too small."),
        Text(language: "en", subject: "Charged twice", body: "My card was charged twice for the same order, please refund the second payment urgently."),
        Text(language: "en", subject: "Login problem", body: "The app shows an error every time I try to log in, even after resetting my password."),
        Text(language: "uk", subject: "Де моє замовлення?", body: "Добрий день! Де моє замовлення? Чекаю вже тиждень, а трек не оновлюється."),
        Text(language: "uk", subject: "Повернення", body: "Вітаю, хочу повернути светр, не підійшов розмір. Як оформити повернення?"),
        Text(language: "uk", subject: "Оплата", body: "Терміново! З картки списали оплату двічі за одне замовлення, поверніть кошти."),
        Text(language: "ru", subject: "Сроки доставки", body: "Здравствуйте! Сколько дней занимает доставка в Казань? Хочу успеть к празднику."),
        Text(language: "ru", subject: "Размер", body: "Подскажите, есть ли это пальто в размере M и в каком цвете есть в наличии?"),
        Text(language: "ru", subject: "Ошибка на сайте", body: "Не работает оплата на сайте, выдаёт ошибку при вводе карты."),
        Text(language: "pl", subject: "Gdzie jest moje zamówienie", body: "Dzień dobry, gdzie jest moje zamówienie? Kurier miał być wczoraj, a paczki nadal nie ma."),
        Text(language: "pl", subject: "Zwrot", body: "Jaka jest polityka zwrotów? Chciałabym zwrócić sukienkę kupioną w promocji."),
        Text(language: "pl", subject: "Doradztwo", body: "Który ekspres do kawy polecacie do małego biura? Jaka jest różnica między modelami?"),
        Text(language: "ar", subject: "أين طلبي", body: "مرحبا، أين طلبي؟ لقد مر أسبوع ولم يصل الطرد بعد. شكرا لكم"),
        Text(language: "ar", subject: "مدة الشحن", body: "السلام عليكم، ما هي مدة الشحن إلى الرياض؟ أريد أن أطلب هدية لعيد ميلاد أختي"),
        Text(language: "ar", subject: "إرجاع", body: "أريد إرجاع الحذاء لأن المقاس صغير، كيف يمكنني إرجاع المنتج واسترداد المبلغ؟"),
        Text(language: "zh", subject: "我的订单在哪", body: "你好，我的订单在哪里？已经一个星期了还没收到包裹，麻烦帮我查一下物流。"),
        Text(language: "zh", subject: "退货", body: "您好，请问退货政策是什么？我买的外套尺码不合适，想换一个大一号的。"),
        Text(language: "zh", subject: "付款问题", body: "你好，我付款的时候信用卡被扣款两次，请帮我处理一下退款，谢谢。"),
    ]

    public static let channels = ["email", "sms", "chat", "social", "webform", "phone"]

    /// The channel mix of `bench ingest`: 30 % email, the rest spread over the other channels.
    public static func channel(for draw: Double) -> String {
        switch draw {
        case ..<0.30: "email"
        case ..<0.50: "sms"
        case ..<0.70: "chat"
        case ..<0.85: "social"
        case ..<0.95: "webform"
        default: "phone"
        }
    }

    /// The contact details of simulated customer number `n`.
    public static func phone(_ n: Int) -> String { "+38067\(String(format: "%07d", n % 10_000_000))" }
    public static func email(_ n: Int) -> String { "customer\(n)@example.com" }

    /// One payload of `channel` from customer `customer`, saying `text`.
    public static func payload(channel: String, customer: Int, text: Text, sequence: Int) -> Data {
        func json(_ object: [String: Any]) -> Data { (try? JSONSerialization.data(withJSONObject: object)) ?? Data() }
        switch channel {
        case "email":
            let subject = "=?utf-8?B?\(Data(text.subject.utf8).base64EncodedString())?="
            let body = Data(text.body.utf8).base64EncodedString(options: .lineLength76Characters)
            let html = Data("<html><body><p>\(text.body)</p></body></html>".utf8).base64EncodedString(options: .lineLength76Characters)
            let mail = """
                From: Customer \(customer) <\(email(customer))>\r
                To: support@shop.example\r
                Subject: \(subject)\r
                Message-ID: <m\(sequence).\(customer)@mail.example.com>\r
                Date: \(Self.rfc2822.string(from: Date()))\r
                MIME-Version: 1.0\r
                Content-Type: multipart/alternative; boundary="alt\(sequence)"\r
                \r
                --alt\(sequence)\r
                Content-Type: text/plain; charset=utf-8\r
                Content-Transfer-Encoding: base64\r
                \r
                \(body)\r
                --alt\(sequence)\r
                Content-Type: text/html; charset=utf-8\r
                Content-Transfer-Encoding: base64\r
                \r
                \(html)\r
                --alt\(sequence)--\r

                """
            return Data(mail.utf8)
        case "sms": return json(["from": phone(customer), "to": "+380441234567", "text": text.body])
        case "chat": return json(["session_id": "chat-\(customer)", "visitor": ["email": email(customer), "name": "Customer \(customer)"], "text": text.body])
        case "social": return json(["platform": "whatsapp", "sender_id": phone(customer), "sender_name": "Customer \(customer)", "thread_id": "wa-\(customer)", "text": text.body])
        case "webform": return json(["email": email(customer), "name": "Customer \(customer)", "topic": "", "text": text.body])
        default: return json(["caller": phone(customer), "agent": "agent@shop.example", "duration_seconds": 120, "transcript": text.body])
        }
    }

    private static let rfc2822: DateFormatter = {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter
    }()
}
