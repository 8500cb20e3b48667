public import Foundation

/// The words of the service report in the admin's language: English, Ukrainian, Russian,
/// Polish, Arabic (right to left) or Chinese. Placeholders are `%1`, `%2` …, filled in order.
public struct ReportText: Sendable {
    /// The language's code, as given to ``language(_:)``.
    public let code: String
    /// The language's own name.
    public var name: String { words[.languageName] ?? code }
    /// Whether the language is written right to left.
    public var rightToLeft: Bool { code == "ar" }
    /// Grouping and decimal separators of the language's numbers.
    let grouping: String, decimal: String
    private let words: [Key: String]

    /// The languages the report is written in.
    public static let languages = ["en", "uk", "ru", "pl", "ar", "zh"]

    /// The report's words for `code` (`uk`, `uk-UA`, `uk_UA.UTF-8` …); English when there are none.
    public static func language(_ code: String?) -> ReportText {
        code.flatMap(supported) ?? texts["en"]!
    }

    /// The report's words for `code` (`uk`, `uk-UA`, `uk_UA.UTF-8` …), or nil when the report is
    /// not written in its language.
    public static func supported(_ code: String) -> ReportText? {
        texts[String(code.lowercased().prefix { $0.isLetter })]
    }

    /// The best of the languages an `Accept-Language` header lists (by quality, then order).
    public static func accepting(_ header: String?) -> ReportText {
        guard let header else { return language("en") }
        let ranked = header.split(separator: ",").enumerated().compactMap { index, part -> (String, Double, Int)? in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first, !tag.isEmpty else { return nil }
            let quality = pieces.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return (tag, quality, index)
        }.sorted { ($0.1, -$0.2) > ($1.1, -$1.2) }
        return ranked.lazy.filter { $0.1 > 0 }.compactMap { supported($0.0) }.first ?? language("en")
    }

    /// The language of the process's locale environment (LC_ALL, LC_MESSAGES, LANG).
    public static func environment(_ variables: [String: String] = ProcessInfo.processInfo.environment) -> ReportText {
        let value = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { variables[$0] }.first { !$0.isEmpty }
        return language(value)
    }

    enum Key: CaseIterable {
        case title, period, everyStore, conversations, firstResponse, resolution, firstContact, reopened, botAlone
        case firstResponseSLA, resolutionSLA, csat, nps, ces
        case firstResponseChart, csatChart, npsChart, backlogChart, ratingsChart, teamSLAChart, noConversations, noTeam
        case agents, noAgents, agent, conversationsColumn, resolvedColumn, firstResponseColumn, firstContactColumn, csatColumn
        case hours, minutes, languageName
    }

    /// The text of `key`, its placeholders filled with `values`.
    func callAsFunction(_ key: Key, _ values: String...) -> String {
        var text = words[key] ?? ReportText.texts["en"]!.words[key] ?? ""
        for (index, value) in values.enumerated() { text = text.replacingOccurrences(of: "%\(index + 1)", with: value) }
        return text
    }

    /// 12.345 → "12.3", 1234 → "1,234" (in English; "1 234" and "12,3" in Ukrainian …).
    public func number(_ value: Double) -> String {
        // In right-to-left text a left-to-right mark keeps the minus before the digits.
        let minus = rightToLeft ? "\u{200E}−" : "−"
        let text: String
        if value.rounded() == value {
            let digits = String(Int(abs(value)))
            var grouped = ""
            for (index, digit) in digits.enumerated() {
                if index > 0 && (digits.count - index) % 3 == 0 { grouped += grouping }
                grouped.append(digit)
            }
            text = (value < 0 ? minus : "") + grouped
        } else {
            let fixed = String(format: abs(value) >= 100 ? "%.0f" : "%.1f", abs(value))
            text = (value < 0 ? minus : "") + fixed.replacingOccurrences(of: ".", with: decimal)
        }
        return text
    }

    private init(_ code: String, grouping: String, decimal: String, _ words: [Key: String]) {
        self.code = code
        self.grouping = grouping
        self.decimal = decimal
        self.words = words
    }

    private static let texts: [String: ReportText] = Dictionary(uniqueKeysWithValues: [english, ukrainian, russian, polish, arabic, chinese].map { ($0.code, $0) })

    private static let english = ReportText("en", grouping: ",", decimal: ".", [
        .title: "Service report", .period: "%1 to %2 (the last day not included) · %3", .everyStore: "every store",
        .conversations: "conversations", .firstResponse: "first response, mean (%1 in business hours)",
        .resolution: "full resolution, mean (%1 in business hours)", .firstContact: "resolved at first contact",
        .reopened: "reopened", .botAlone: "resolved by the bot alone", .firstResponseSLA: "first responses within SLA",
        .resolutionSLA: "resolutions within SLA", .csat: "CSAT: 4–5 of %1 answers (%2 answered)", .nps: "NPS of %1 answers",
        .ces: "CES of %1 answers (1–7)", .firstResponseChart: "First response time, mean per day", .csatChart: "CSAT per day",
        .npsChart: "NPS per day", .backlogChart: "Unresolved at the end of each day", .ratingsChart: "CSAT ratings",
        .teamSLAChart: "First responses within SLA, by team", .noConversations: "No conversations.", .noTeam: "No team",
        .agents: "Agents", .noAgents: "No conversation had an agent.", .agent: "Agent", .conversationsColumn: "Conversations",
        .resolvedColumn: "Resolved", .firstResponseColumn: "First response, min", .firstContactColumn: "First contact",
        .csatColumn: "CSAT (answers)", .hours: "h", .minutes: "min", .languageName: "English",
    ])

    private static let ukrainian = ReportText("uk", grouping: "\u{202F}", decimal: ",", [
        .title: "Звіт про обслуговування", .period: "з %1 до %2 (останній день не входить) · %3", .everyStore: "усі магазини",
        .conversations: "звернень", .firstResponse: "перша відповідь, у середньому (%1 у робочий час)",
        .resolution: "повне вирішення, у середньому (%1 у робочий час)", .firstContact: "вирішено з першого звернення",
        .reopened: "відкрито повторно", .botAlone: "вирішено лише ботом", .firstResponseSLA: "перших відповідей у межах SLA",
        .resolutionSLA: "вирішень у межах SLA", .csat: "CSAT: 4–5 із %1 відповідей (відповіли %2)", .nps: "NPS із %1 відповідей",
        .ces: "CES із %1 відповідей (1–7)", .firstResponseChart: "Час першої відповіді, середній за день", .csatChart: "CSAT за днями",
        .npsChart: "NPS за днями", .backlogChart: "Невирішені наприкінці кожного дня", .ratingsChart: "Оцінки CSAT",
        .teamSLAChart: "Перші відповіді в межах SLA за командами", .noConversations: "Звернень немає.", .noTeam: "Без команди",
        .agents: "Агенти", .noAgents: "Жодне звернення не мало агента.", .agent: "Агент", .conversationsColumn: "Звернення",
        .resolvedColumn: "Вирішено", .firstResponseColumn: "Перша відповідь, хв", .firstContactColumn: "З першого звернення",
        .csatColumn: "CSAT (відповіді)", .hours: "год", .minutes: "хв", .languageName: "Українська",
    ])

    private static let russian = ReportText("ru", grouping: "\u{202F}", decimal: ",", [
        .title: "Отчёт об обслуживании", .period: "с %1 по %2 (последний день не включён) · %3", .everyStore: "все магазины",
        .conversations: "обращений", .firstResponse: "первый ответ, в среднем (%1 в рабочее время)",
        .resolution: "полное решение, в среднем (%1 в рабочее время)", .firstContact: "решено с первого обращения",
        .reopened: "открыто повторно", .botAlone: "решено только ботом", .firstResponseSLA: "первых ответов в пределах SLA",
        .resolutionSLA: "решений в пределах SLA", .csat: "CSAT: 4–5 из %1 ответов (ответили %2)", .nps: "NPS из %1 ответов",
        .ces: "CES из %1 ответов (1–7)", .firstResponseChart: "Время первого ответа, среднее за день", .csatChart: "CSAT по дням",
        .npsChart: "NPS по дням", .backlogChart: "Нерешённые на конец каждого дня", .ratingsChart: "Оценки CSAT",
        .teamSLAChart: "Первые ответы в пределах SLA по командам", .noConversations: "Обращений нет.", .noTeam: "Без команды",
        .agents: "Агенты", .noAgents: "Ни у одного обращения не было агента.", .agent: "Агент", .conversationsColumn: "Обращения",
        .resolvedColumn: "Решено", .firstResponseColumn: "Первый ответ, мин", .firstContactColumn: "С первого обращения",
        .csatColumn: "CSAT (ответы)", .hours: "ч", .minutes: "мин", .languageName: "Русский",
    ])

    private static let polish = ReportText("pl", grouping: "\u{00A0}", decimal: ",", [
        .title: "Raport obsługi klienta", .period: "od %1 do %2 (bez ostatniego dnia) · %3", .everyStore: "wszystkie sklepy",
        .conversations: "zgłoszeń", .firstResponse: "pierwsza odpowiedź, średnio (%1 w godzinach pracy)",
        .resolution: "pełne rozwiązanie, średnio (%1 w godzinach pracy)", .firstContact: "rozwiązane przy pierwszym kontakcie",
        .reopened: "ponownie otwarte", .botAlone: "rozwiązane przez samego bota", .firstResponseSLA: "pierwszych odpowiedzi w ramach SLA",
        .resolutionSLA: "rozwiązań w ramach SLA", .csat: "CSAT: 4–5 z %1 odpowiedzi (odpowiedziało %2)", .nps: "NPS z %1 odpowiedzi",
        .ces: "CES z %1 odpowiedzi (1–7)", .firstResponseChart: "Czas pierwszej odpowiedzi, średnio na dzień", .csatChart: "CSAT dziennie",
        .npsChart: "NPS dziennie", .backlogChart: "Nierozwiązane na koniec każdego dnia", .ratingsChart: "Oceny CSAT",
        .teamSLAChart: "Pierwsze odpowiedzi w ramach SLA według zespołów", .noConversations: "Brak zgłoszeń.", .noTeam: "Bez zespołu",
        .agents: "Konsultanci", .noAgents: "Żadne zgłoszenie nie miało konsultanta.", .agent: "Konsultant", .conversationsColumn: "Zgłoszenia",
        .resolvedColumn: "Rozwiązane", .firstResponseColumn: "Pierwsza odpowiedź, min", .firstContactColumn: "Przy pierwszym kontakcie",
        .csatColumn: "CSAT (odpowiedzi)", .hours: "godz.", .minutes: "min", .languageName: "Polski",
    ])

    private static let arabic = ReportText("ar", grouping: ",", decimal: ".", [
        .title: "تقرير خدمة العملاء", .period: "من %1 إلى %2 (دون اليوم الأخير) · %3", .everyStore: "كل المتاجر",
        .conversations: "محادثة", .firstResponse: "أول رد، في المتوسط (%1 في ساعات العمل)",
        .resolution: "الحل الكامل، في المتوسط (%1 في ساعات العمل)", .firstContact: "حُلّت من أول تواصل",
        .reopened: "أُعيد فتحها", .botAlone: "حلّها الروبوت وحده", .firstResponseSLA: "الردود الأولى ضمن اتفاقية الخدمة",
        .resolutionSLA: "الحلول ضمن اتفاقية الخدمة", .csat: "CSAT: ‏4–5 من %1 إجابة (أجاب %2)", .nps: "NPS من %1 إجابة",
        .ces: "CES من %1 إجابة (1–7)", .firstResponseChart: "زمن أول رد، المتوسط اليومي", .csatChart: "CSAT يوميًا",
        .npsChart: "NPS يوميًا", .backlogChart: "غير المحلولة في نهاية كل يوم", .ratingsChart: "تقييمات CSAT",
        .teamSLAChart: "الردود الأولى ضمن اتفاقية الخدمة حسب الفريق", .noConversations: "لا توجد محادثات.", .noTeam: "بلا فريق",
        .agents: "الموظفون", .noAgents: "لم يكن لأي محادثة موظف.", .agent: "الموظف", .conversationsColumn: "المحادثات",
        .resolvedColumn: "المحلولة", .firstResponseColumn: "أول رد، دقيقة", .firstContactColumn: "من أول تواصل",
        .csatColumn: "CSAT (الإجابات)", .hours: "ساعة", .minutes: "دقيقة", .languageName: "العربية",
    ])

    private static let chinese = ReportText("zh", grouping: ",", decimal: ".", [
        .title: "客户服务报告", .period: "%1 至 %2（不含最后一天）· %3", .everyStore: "所有店铺",
        .conversations: "个会话", .firstResponse: "首次回复，平均（工作时间内 %1）",
        .resolution: "完全解决，平均（工作时间内 %1）", .firstContact: "首次联系即解决",
        .reopened: "重新打开", .botAlone: "仅由机器人解决", .firstResponseSLA: "首次回复符合 SLA",
        .resolutionSLA: "解决符合 SLA", .csat: "CSAT：%1 个回答中 4–5 分的比例（回答率 %2）", .nps: "NPS，共 %1 个回答",
        .ces: "CES，共 %1 个回答（1–7）", .firstResponseChart: "首次回复时间，每日平均", .csatChart: "每日 CSAT",
        .npsChart: "每日 NPS", .backlogChart: "每日结束时未解决的会话", .ratingsChart: "CSAT 评分",
        .teamSLAChart: "各团队首次回复符合 SLA 的比例", .noConversations: "没有会话。", .noTeam: "无团队",
        .agents: "客服", .noAgents: "没有会话分配给客服。", .agent: "客服", .conversationsColumn: "会话",
        .resolvedColumn: "已解决", .firstResponseColumn: "首次回复，分钟", .firstContactColumn: "首次联系解决",
        .csatColumn: "CSAT（回答数）", .hours: "小时", .minutes: "分钟", .languageName: "中文",
    ])
}
