import LanguageDetection
import Testing

@Suite("Language detection (CLD2)")
struct LanguageDetectorTests {
    @Test("customer messages in the six required languages are recognised", arguments: [
        ("en", "Hello, I ordered a blue jacket two weeks ago and it still has not arrived. Could you check where my parcel is?"),
        ("uk", "Добрий день! Я замовила синю куртку два тижні тому, але посилка досі не прийшла. Перевірте, будь ласка, де вона зараз."),
        ("ru", "Здравствуйте! Я заказала синюю куртку две недели назад, но посылка до сих пор не пришла. Проверьте, пожалуйста, где она сейчас."),
        ("pl", "Dzień dobry, zamówiłam niebieską kurtkę dwa tygodnie temu i paczka nadal nie dotarła. Czy możecie sprawdzić, gdzie ona jest?"),
        ("ar", "مرحبا، طلبت سترة زرقاء قبل أسبوعين ولم يصل الطرد حتى الآن. هل يمكنكم التحقق من مكان الطلب من فضلكم؟"),
        ("zh", "你好，我两个星期前订购了一件蓝色夹克，但是包裹到现在还没有到。请帮我查一下我的订单现在在哪里？"),
        ("zh", "你好，我兩個星期前訂購了一件藍色夾克，但是包裹到現在還沒有到。請幫我查一下我的訂單現在在哪裡？"),
    ])
    func recognises(_ expected: String, _ text: String) {
        #expect(LanguageDetector.detect(text).code == expected)
    }

    @Test("Ukrainian and Russian, close relatives, are told apart in short questions", arguments: [
        ("uk", "Де моє замовлення? Коли його доставлять?"),
        ("ru", "Где мой заказ? Когда его доставят?"),
    ])
    func closeRelatives(_ expected: String, _ text: String) {
        #expect(LanguageDetector.detect(text).code == expected)
    }

    @Test("text too short or without letters is unknown", arguments: ["ok", "Thanks!", "12345 #9912", "👍👍👍", "", "   "])
    func unknown(_ text: String) {
        #expect(LanguageDetector.detect(text) == .unknown)
    }
}
