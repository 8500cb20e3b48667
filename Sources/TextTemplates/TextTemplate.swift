public import Foundation
import Mustache

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
        let parsed: MustacheTemplate
        do {
            parsed = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + template)
        } catch {
            throw TextTemplateError("the template is not valid Mustache: \(error)")
        }
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
