import Foundation
import Mustache
import Synchronization

/// Why a template could not be used.
public struct TextTemplateError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Mustache templates rendered as plain text: what customers read in answers and notices.
public enum TextTemplate {
    /// Renders `template` with `variables` (a JSON object). Nulls are left out at every depth,
    /// so `{{#order.carrier}}…{{/order.carrier}}` disappears when there is no carrier; nothing is
    /// HTML-escaped (URLs and names stay as they are). Throws when the template is not valid
    /// Mustache or renders to nothing.
    public static func render(_ template: String, variables: [String: Any]) throws(TextTemplateError) -> String {
        let parsed = try parsedTemplates.parsed(template)
        let rendered = parsed.render(withoutNulls(variables)).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !rendered.isEmpty else { throw TextTemplateError("the template renders to empty text") }
        return rendered
    }

    /// Renders `template` with the JSON object `variablesJSON`.
    public static func render(_ template: String, variablesJSON: String) throws(TextTemplateError) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(variablesJSON.utf8)) as? [String: Any] else {
            throw TextTemplateError("the template's variables are not a JSON object")
        }
        return try render(template, variables: object)
    }

    /// Templates parsed before, by their text: a worker renders the same few templates for every
    /// message, and parsing one cost more than rendering it.
    private static let parsedTemplates = ParsedTemplates()

    private static func withoutNulls(_ value: [String: Any]) -> [String: Any] {
        value.compactMapValues { element -> Any? in
            switch element {
            case is NSNull: nil
            case let object as [String: Any]: withoutNulls(object)
            case let list as [Any]: list.compactMap { ($0 as? [String: Any]).map(withoutNulls) ?? ($0 is NSNull ? nil : $0) }
            default: element
            }
        }
    }
}

/// Parsed templates by their text, at most `capacity` of them (all forgotten when full: the texts
/// come from admin tables, so a long-running worker meets new ones as admins edit them).
private final class ParsedTemplates: Sendable {
    private let capacity = 256
    private let templates = Mutex<[String: MustacheTemplate]>([:])

    func parsed(_ text: String) throws(TextTemplateError) -> MustacheTemplate {
        if let known = templates.withLock({ $0[text] }) { return known }
        let parsed: MustacheTemplate
        do {
            parsed = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text)
        } catch {
            throw TextTemplateError("the template is not valid Mustache: \(error)")
        }
        templates.withLock { templates in
            if templates.count >= capacity { templates.removeAll(keepingCapacity: true) }
            templates[text] = parsed
        }
        return parsed
    }
}
