/// What the customer pages say, in the six languages Switchboard answers in; English for any
/// other. Kept short and plain: the pages are read on a phone, often once.
struct CustomerPageText: Sendable {
    let language: String
    let unsubscribeTitle, unsubscribeQuestion, unsubscribeButton, unsubscribeDone: String
    let optInTitle, optInQuestion, optInButton, optInDone: String
    let doneTitle, problemTitle, unknownLink, usedLink, expiredLink, unavailable: String
    let purposes: [String: String]
    let channels: [String: String]

    /// Right to left for Arabic.
    var direction: String { language == "ar" ? "rtl" : "ltr" }

    /// The text for `locale` (`uk`, `pt-BR`, `ar_EG`): its language's, else English.
    static func forLocale(_ locale: String?) -> CustomerPageText {
        let language = locale.map { String($0.lowercased().prefix { $0.isLetter }) } ?? "en"
        return all.first { $0.language == language } ?? all[0]
    }

    func purposeList(_ names: [String]) -> String {
        names.map { purposes[$0] ?? $0 }.joined(separator: language == "zh" ? "、" : (language == "ar" ? "، " : ", "))
    }

    static let all: [CustomerPageText] = [
        CustomerPageText(
            language: "en",
            unsubscribeTitle: "Unsubscribe", unsubscribeQuestion: "Stop receiving these messages?", unsubscribeButton: "Unsubscribe",
            unsubscribeDone: "You will no longer receive these messages.",
            optInTitle: "Messages by SMS", optInQuestion: "Receive these messages by SMS?", optInButton: "Yes, send them",
            optInDone: "You will receive these messages.",
            doneTitle: "Done", problemTitle: "This link cannot be used",
            unknownLink: "This link is not valid. Check that it was copied whole.",
            usedLink: "This link was used already. There is nothing more to do.",
            expiredLink: "This link has expired. Your settings have not changed.",
            unavailable: "Something went wrong on our side. Please try again in a few minutes.",
            purposes: ["order_updates": "order updates", "marketing": "news and offers", "surveys": "surveys",
                       "transactional": "order confirmations and receipts"],
            channels: ["email": "Email", "sms": "SMS", "chat": "Chat", "social": "Messages"]),
        CustomerPageText(
            language: "uk",
            unsubscribeTitle: "Відписатися", unsubscribeQuestion: "Більше не отримувати ці повідомлення?", unsubscribeButton: "Відписатися",
            unsubscribeDone: "Ви більше не отримуватимете ці повідомлення.",
            optInTitle: "Повідомлення в SMS", optInQuestion: "Отримувати ці повідомлення в SMS?", optInButton: "Так, надсилайте",
            optInDone: "Ви отримуватимете ці повідомлення.",
            doneTitle: "Готово", problemTitle: "Це посилання не можна використати",
            unknownLink: "Це посилання недійсне. Перевірте, чи його скопійовано повністю.",
            usedLink: "Це посилання вже використано. Більше нічого робити не треба.",
            expiredLink: "Термін дії цього посилання минув. Ваші налаштування не змінилися.",
            unavailable: "У нас щось пішло не так. Спробуйте, будь ласка, за кілька хвилин.",
            purposes: ["order_updates": "новини про замовлення", "marketing": "новини та пропозиції", "surveys": "опитування",
                       "transactional": "підтвердження замовлень і квитанції"],
            channels: ["email": "Електронна пошта", "sms": "SMS", "chat": "Чат", "social": "Повідомлення"]),
        CustomerPageText(
            language: "ru",
            unsubscribeTitle: "Отписаться", unsubscribeQuestion: "Больше не получать эти сообщения?", unsubscribeButton: "Отписаться",
            unsubscribeDone: "Вы больше не будете получать эти сообщения.",
            optInTitle: "Сообщения по SMS", optInQuestion: "Получать эти сообщения по SMS?", optInButton: "Да, присылайте",
            optInDone: "Вы будете получать эти сообщения.",
            doneTitle: "Готово", problemTitle: "Эту ссылку нельзя использовать",
            unknownLink: "Эта ссылка недействительна. Проверьте, что она скопирована полностью.",
            usedLink: "Эта ссылка уже использована. Больше ничего делать не нужно.",
            expiredLink: "Срок действия этой ссылки истёк. Ваши настройки не изменились.",
            unavailable: "У нас что-то пошло не так. Попробуйте, пожалуйста, через несколько минут.",
            purposes: ["order_updates": "новости о заказах", "marketing": "новости и предложения", "surveys": "опросы",
                       "transactional": "подтверждения заказов и квитанции"],
            channels: ["email": "Электронная почта", "sms": "SMS", "chat": "Чат", "social": "Сообщения"]),
        CustomerPageText(
            language: "pl",
            unsubscribeTitle: "Wypisz się", unsubscribeQuestion: "Nie otrzymywać już tych wiadomości?", unsubscribeButton: "Wypisz mnie",
            unsubscribeDone: "Nie będziesz już otrzymywać tych wiadomości.",
            optInTitle: "Wiadomości SMS", optInQuestion: "Otrzymywać te wiadomości SMS-em?", optInButton: "Tak, wysyłajcie",
            optInDone: "Będziesz otrzymywać te wiadomości.",
            doneTitle: "Gotowe", problemTitle: "Tego linku nie można użyć",
            unknownLink: "Ten link jest nieprawidłowy. Sprawdź, czy został skopiowany w całości.",
            usedLink: "Ten link został już użyty. Nie trzeba nic więcej robić.",
            expiredLink: "Ten link wygasł. Twoje ustawienia się nie zmieniły.",
            unavailable: "Coś poszło nie tak po naszej stronie. Spróbuj ponownie za kilka minut.",
            purposes: ["order_updates": "informacje o zamówieniach", "marketing": "nowości i oferty", "surveys": "ankiety",
                       "transactional": "potwierdzenia zamówień i rachunki"],
            channels: ["email": "E-mail", "sms": "SMS", "chat": "Czat", "social": "Wiadomości"]),
        CustomerPageText(
            language: "ar",
            unsubscribeTitle: "إلغاء الاشتراك", unsubscribeQuestion: "هل تريد التوقف عن تلقي هذه الرسائل؟", unsubscribeButton: "إلغاء الاشتراك",
            unsubscribeDone: "لن تتلقى هذه الرسائل بعد الآن.",
            optInTitle: "الرسائل القصيرة", optInQuestion: "هل تريد تلقي هذه الرسائل عبر الرسائل القصيرة؟", optInButton: "نعم، أرسلوها",
            optInDone: "ستتلقى هذه الرسائل.",
            doneTitle: "تم", problemTitle: "لا يمكن استخدام هذا الرابط",
            unknownLink: "هذا الرابط غير صالح. تأكد من نسخه كاملاً.",
            usedLink: "تم استخدام هذا الرابط من قبل. لا حاجة لفعل أي شيء آخر.",
            expiredLink: "انتهت صلاحية هذا الرابط. لم تتغير إعداداتك.",
            unavailable: "حدث خطأ من جهتنا. يرجى المحاولة مرة أخرى بعد بضع دقائق.",
            purposes: ["order_updates": "تحديثات الطلبات", "marketing": "الأخبار والعروض", "surveys": "الاستطلاعات",
                       "transactional": "تأكيدات الطلبات والإيصالات"],
            channels: ["email": "البريد الإلكتروني", "sms": "الرسائل القصيرة", "chat": "الدردشة", "social": "الرسائل"]),
        CustomerPageText(
            language: "zh",
            unsubscribeTitle: "退订", unsubscribeQuestion: "不再接收这些消息？", unsubscribeButton: "退订",
            unsubscribeDone: "您将不再收到这些消息。",
            optInTitle: "短信通知", optInQuestion: "通过短信接收这些消息？", optInButton: "是的，请发送",
            optInDone: "您将收到这些消息。",
            doneTitle: "完成", problemTitle: "无法使用此链接",
            unknownLink: "此链接无效。请检查是否完整复制。",
            usedLink: "此链接已被使用过，无需再做任何操作。",
            expiredLink: "此链接已过期。您的设置没有改变。",
            unavailable: "我们这边出了问题。请几分钟后再试。",
            purposes: ["order_updates": "订单动态", "marketing": "新闻和优惠", "surveys": "调查问卷",
                       "transactional": "订单确认和收据"],
            channels: ["email": "电子邮件", "sms": "短信", "chat": "在线聊天", "social": "消息"]),
    ]
}
