import TextTemplates

/// Why an automatic answer's template could not be used.
public struct AutoAnswerTemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// Renders `auto_answer_templates` bodies (Mustache) as plain text.
public enum AutoAnswerRenderer {
    /// Renders `template` with `context` (the jsonb object `ingest_message()` returned). Null
    /// values are left out, so `{{#carrier}}…{{/carrier}}` disappears when there is no carrier.
    public static func render(template: String, contextJSON: String) throws(AutoAnswerTemplateError) -> String {
        do {
            return try TextTemplate.render(template, variablesJSON: contextJSON)
        } catch {
            throw AutoAnswerTemplateError(description: error.description)
        }
    }
}
