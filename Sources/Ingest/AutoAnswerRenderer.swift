import Foundation
import Mustache

/// Why an automatic answer's template could not be used.
public struct AutoAnswerTemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Renders `auto_answer_templates` bodies (Mustache) as plain text.
public enum AutoAnswerRenderer {
    /// Renders `template` with `context` (the jsonb object `ingest_message()` returned). Null
    /// values are left out, so `{{#carrier}}…{{/carrier}}` disappears when there is no carrier.
    public static func render(template: String, contextJSON: String) throws(AutoAnswerTemplateError) -> String {
        let parsed: MustacheTemplate
        do {
            // Answers are plain text: no HTML escaping of URLs and names.
            parsed = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + template)
        } catch {
            throw AutoAnswerTemplateError(description: "the template is not valid Mustache: \(error)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(contextJSON.utf8)) as? [String: Any] else {
            throw AutoAnswerTemplateError(description: "the template's variables are not a JSON object")
        }
        let rendered = parsed.render(object.compactMapValues { $0 is NSNull ? nil : $0 })
        let trimmed = rendered.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw AutoAnswerTemplateError(description: "the template renders to empty text") }
        return trimmed
    }
}
