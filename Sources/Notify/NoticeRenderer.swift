import Foundation
import TextTemplates

/// Renders an outbox row's template (`notify_templates`, chosen by `notify_begin`) with its
/// variables: dates in the template's language, and an SMS cut to the segments allowed.
enum NoticeRenderer {
    /// What a template is rendered from.
    struct Input: Sendable {
        var kind: String, channel: String, locale: String
        /// The chosen template's own locale (dates are written in it), subject and body; body nil
        /// when there is no template.
        var templateLocale: String?, subject: String?, body: String?
        var variablesJSON: String?
        var maxSMSSegments: Int
    }

    static func render(_ send: Notifier.PendingSend) throws(NotifyError) -> (subject: String?, body: String) {
        try render(Input(kind: send.templateKind ?? "?", channel: send.channel, locale: send.locale, templateLocale: send.templateLocale,
                         subject: send.templateSubject, body: send.templateBody, variablesJSON: send.variables,
                         maxSMSSegments: send.maxSMSSegments))
    }

    static func render(_ input: Input) throws(NotifyError) -> (subject: String?, body: String) {
        let kind = input.kind
        guard let template = input.body else {
            throw NotifyError(.template, "no template \(kind) for \(input.channel) in \(input.locale), the store's language or English")
        }
        let locale = input.templateLocale ?? input.locale
        guard var variables = (try? JSONSerialization.jsonObject(with: Data((input.variablesJSON ?? "{}").utf8))) as? [String: Any] else {
            throw NotifyError(.template, "the variables of template \(kind) are not a JSON object")
        }
        if var order = variables["order"] as? [String: Any] {
            if let day = order["estimated_delivery"] as? String { order["estimated_delivery"] = localizedDate(day, locale: locale) }
            variables["order"] = order
        }
        do {
            let subject = try input.subject.map { template throws(TextTemplateError) in
                try TextTemplate.render(template, variables: variables)
            }
            var body = try TextTemplate.render(template, variables: variables)
            if input.channel == "sms" { body = SMSText.truncated(body, toSegments: input.maxSMSSegments) }
            return (input.channel == "email" ? subject : nil, body)
        } catch {
            throw NotifyError(.template, "template \(kind) (\(input.channel), \(locale)) does not render: \(error.description)")
        }
    }
    /// `2026-12-06` as the template's language writes a date: 6 December 2026, 6 грудня 2026 р.…
    static func localizedDate(_ day: String, locale: String) -> String {
        let parser = DateFormatter()
        parser.locale = Locale(identifier: "en_US_POSIX")
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.dateFormat = "yyyy-MM-dd"
        guard let date = parser.date(from: day) else { return day }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: locale)
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateStyle = .long
        formatter.timeStyle = .none
        return formatter.string(from: date)
    }
}
