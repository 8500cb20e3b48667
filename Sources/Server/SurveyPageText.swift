/// What the survey page says, in the six languages Switchboard answers in; English for any other.
/// `%@` in a format is the rating's label, or a date.
struct SurveyPageText: Sendable {
    let language: String
    let title, csatQuestion: String
    /// "1 – very poor" … "5 – excellent".
    let csatLabels: [String]
    let chosenFormat, currentFormat, commentLabel, thanksFormat, changeUntilFormat, closed, expired: String
    /// CES: the statement rated 1–7, and "1 – strongly disagree" … "7 – strongly agree".
    let cesQuestion: String
    let cesLabels: [String]
    /// NPS: the question rated 0–10, and the words at its two ends.
    let npsQuestion, npsLow, npsHigh: String
    /// The post-delivery follow-up, rated like CSAT.
    let postDeliveryQuestion: String

    static func forLocale(_ locale: String?) -> SurveyPageText {
        let language = locale.map { String($0.lowercased().prefix { $0.isLetter }) } ?? "en"
        return all.first { $0.language == language } ?? all[0]
    }

    static let all: [SurveyPageText] = [
        SurveyPageText(
            language: "en", title: "How did we do?", csatQuestion: "How satisfied are you with how we handled your request?",
            csatLabels: ["1 – very poor", "2 – poor", "3 – okay", "4 – good", "5 – excellent"],
            chosenFormat: "You chose %@. Tap it again to send it, or choose another.",
            currentFormat: "Your answer: %@. Choose again to change it.",
            commentLabel: "Anything to add? (optional)", thanksFormat: "Thank you! Your rating: %@.",
            changeUntilFormat: "You can change your answer until %@.",
            closed: "This survey is closed: the conversation was opened again.", expired: "This survey has expired.",
            cesQuestion: "“The shop made it easy to handle my issue.” How much do you agree?",
            cesLabels: ["1 – strongly disagree", "2 – disagree", "3 – somewhat disagree", "4 – neither", "5 – somewhat agree", "6 – agree", "7 – strongly agree"],
            npsQuestion: "How likely are you to recommend us to a friend?", npsLow: "not at all likely", npsHigh: "extremely likely",
            postDeliveryQuestion: "How did everything go with your order?"),
        SurveyPageText(
            language: "uk", title: "Як ми впоралися?", csatQuestion: "Наскільки ви задоволені тим, як ми вирішили ваше питання?",
            csatLabels: ["1 — дуже погано", "2 — погано", "3 — нормально", "4 — добре", "5 — чудово"],
            chosenFormat: "Ви обрали: %@. Натисніть ще раз, щоб надіслати, або оберіть іншу оцінку.",
            currentFormat: "Ваша відповідь: %@. Оберіть іншу, щоб змінити.",
            commentLabel: "Бажаєте щось додати? (необов’язково)", thanksFormat: "Дякуємо! Ваша оцінка: %@.",
            changeUntilFormat: "Змінити відповідь можна до %@.",
            closed: "Це опитування закрито: звернення знову відкрито.", expired: "Термін цього опитування минув.",
            cesQuestion: "«Магазин допоміг легко вирішити моє питання». Наскільки ви згодні?",
            cesLabels: ["1 — зовсім не згоден(-на)", "2 — не згоден(-на)", "3 — радше не згоден(-на)", "4 — ні те ні те", "5 — радше згоден(-на)", "6 — згоден(-на)", "7 — повністю згоден(-на)"],
            npsQuestion: "Наскільки ймовірно, що ви порадите нас другові?", npsLow: "зовсім ні", npsHigh: "дуже ймовірно",
            postDeliveryQuestion: "Як усе пройшло з вашим замовленням?"),
        SurveyPageText(
            language: "ru", title: "Как мы справились?", csatQuestion: "Насколько вы довольны тем, как мы решили ваш вопрос?",
            csatLabels: ["1 — очень плохо", "2 — плохо", "3 — нормально", "4 — хорошо", "5 — отлично"],
            chosenFormat: "Вы выбрали: %@. Нажмите ещё раз, чтобы отправить, или выберите другую оценку.",
            currentFormat: "Ваш ответ: %@. Выберите другой, чтобы изменить.",
            commentLabel: "Хотите что-то добавить? (необязательно)", thanksFormat: "Спасибо! Ваша оценка: %@.",
            changeUntilFormat: "Изменить ответ можно до %@.",
            closed: "Этот опрос закрыт: обращение снова открыто.", expired: "Срок этого опроса истёк.",
            cesQuestion: "«Магазин помог легко решить мой вопрос». Насколько вы согласны?",
            cesLabels: ["1 — совсем не согласен(-на)", "2 — не согласен(-на)", "3 — скорее не согласен(-на)", "4 — ни то ни другое", "5 — скорее согласен(-на)", "6 — согласен(-на)", "7 — полностью согласен(-на)"],
            npsQuestion: "Насколько вероятно, что вы порекомендуете нас другу?", npsLow: "совсем нет", npsHigh: "очень вероятно",
            postDeliveryQuestion: "Как всё прошло с вашим заказом?"),
        SurveyPageText(
            language: "pl", title: "Jak nam poszło?", csatQuestion: "Jak oceniasz sposób, w jaki załatwiliśmy Twoją sprawę?",
            csatLabels: ["1 – bardzo słabo", "2 – słabo", "3 – w porządku", "4 – dobrze", "5 – świetnie"],
            chosenFormat: "Wybrano: %@. Kliknij ponownie, aby wysłać, lub wybierz inną ocenę.",
            currentFormat: "Twoja odpowiedź: %@. Wybierz inną, aby ją zmienić.",
            commentLabel: "Chcesz coś dodać? (opcjonalnie)", thanksFormat: "Dziękujemy! Twoja ocena: %@.",
            changeUntilFormat: "Odpowiedź możesz zmienić do %@.",
            closed: "Ta ankieta jest zamknięta: sprawa została ponownie otwarta.", expired: "Ta ankieta wygasła.",
            cesQuestion: "„Sklep ułatwił mi załatwienie sprawy”. Na ile się zgadzasz?",
            cesLabels: ["1 – zdecydowanie nie", "2 – nie", "3 – raczej nie", "4 – ani tak, ani nie", "5 – raczej tak", "6 – tak", "7 – zdecydowanie tak"],
            npsQuestion: "Jak bardzo prawdopodobne jest, że polecisz nas znajomym?", npsLow: "wcale", npsHigh: "bardzo",
            postDeliveryQuestion: "Jak poszło z Twoim zamówieniem?"),
        SurveyPageText(
            language: "ar", title: "كيف كانت خدمتنا؟", csatQuestion: "ما مدى رضاك عن طريقة تعاملنا مع طلبك؟",
            csatLabels: ["1 – سيئ جدًا", "2 – سيئ", "3 – مقبول", "4 – جيد", "5 – ممتاز"],
            chosenFormat: "اخترت: %@. اضغط عليه مرة أخرى للإرسال، أو اختر تقييمًا آخر.",
            currentFormat: "إجابتك الحالية: %@. اختر تقييمًا آخر لتغييرها.",
            commentLabel: "هل تود إضافة شيء؟ (اختياري)", thanksFormat: "شكرًا لك! تقييمك: %@.",
            changeUntilFormat: "يمكنك تغيير إجابتك حتى %@.",
            closed: "هذا الاستبيان مغلق: أُعيد فتح المحادثة.", expired: "انتهت صلاحية هذا الاستبيان.",
            cesQuestion: "«سهّل المتجر حل مشكلتي». إلى أي حد توافق؟",
            cesLabels: ["1 – لا أوافق بشدة", "2 – لا أوافق", "3 – لا أوافق إلى حد ما", "4 – محايد", "5 – أوافق إلى حد ما", "6 – أوافق", "7 – أوافق بشدة"],
            npsQuestion: "ما مدى احتمال أن تنصح صديقًا بنا؟", npsLow: "إطلاقًا", npsHigh: "محتمل جدًا",
            postDeliveryQuestion: "كيف سار طلبك؟"),
        SurveyPageText(
            language: "zh", title: "您对我们的服务满意吗？", csatQuestion: "您对我们处理您问题的方式满意吗？",
            csatLabels: ["1 – 非常不满意", "2 – 不满意", "3 – 一般", "4 – 满意", "5 – 非常满意"],
            chosenFormat: "您选择了：%@。再次点击即可提交，或选择其他评分。",
            currentFormat: "您目前的回答：%@。选择其他评分即可修改。",
            commentLabel: "还有什么想补充的吗？（可选）", thanksFormat: "谢谢！您的评分：%@。",
            changeUntilFormat: "您可以在 %@ 之前修改您的回答。",
            closed: "此调查已关闭：该问题已重新打开。", expired: "此调查已过期。",
            cesQuestion: "“商店让我轻松解决了问题。”您是否同意？",
            cesLabels: ["1 – 非常不同意", "2 – 不同意", "3 – 不太同意", "4 – 一般", "5 – 比较同意", "6 – 同意", "7 – 非常同意"],
            npsQuestion: "您向朋友推荐我们的可能性有多大？", npsLow: "完全不会", npsHigh: "非常可能",
            postDeliveryQuestion: "您的订单一切顺利吗？"),
    ]

    /// "You chose %@" with `value` in place.
    func format(_ format: String, _ value: String) -> String {
        format.replacingOccurrences(of: "%@", with: value)
    }
}
