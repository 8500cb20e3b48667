import Hummingbird
import HTTPTypes
import Mustache

/// The frame of every page a customer sees: server-rendered HTML in their language (right to
/// left for Arabic), readable on a phone, without JavaScript; a heading, a few paragraphs, and
/// at most one form that posts back to the same address. The survey pages will fill it too.
struct CustomerPage {
    var text: CustomerPageText
    var title: String
    var paragraphs: [String]
    /// The button of a form posting to the page's own address, when the page asks for a choice.
    var button: String?

    private static let template = try! MustacheTemplate(string: """
        <!DOCTYPE html>
        <html lang="{{language}}" dir="{{direction}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <title>{{title}}</title>
        <style>
        body { font: 17px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans Arabic", "Noto Sans CJK SC", sans-serif;
               color: #1d1d1f; background: #f5f5f7; margin: 0; }
        main { max-width: 30rem; margin: 12vh auto 0; padding: 2rem 1.5rem; background: #fff; border-radius: 12px; }
        h1 { font-size: 1.4rem; margin: 0 0 1rem; font-weight: 600; }
        p { margin: 0 0 1rem; }
        .detail { color: #555; }
        button { font: inherit; padding: .7rem 1.4rem; border: 0; border-radius: 8px; background: #1d1d1f; color: #fff; cursor: pointer; }
        </style>
        </head>
        <body>
        <main>
        <h1>{{title}}</h1>
        {{#paragraphs}}<p{{#detail}} class="detail"{{/detail}}>{{text}}</p>
        {{/paragraphs}}{{#button}}<form method="post"><button type="submit">{{button}}</button></form>
        {{/button}}</main>
        </body>
        </html>
        """)

    func render() -> String {
        var context: [String: Any] = [
            "language": text.language, "direction": text.direction, "title": title,
            "paragraphs": paragraphs.enumerated().map { ["text": $0.element, "detail": $0.offset == 0 && paragraphs.count > 1] },
        ]
        // Absent, not nil: Mustache takes an Optional in Any for a value and prints "nil".
        if let button { context["button"] = button }
        return Self.template.render(context)
    }

    /// The page as a response: never cached, never indexed, and the token in the address never
    /// sent on as a Referer.
    func response(_ status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Robots-Tag")!] = "noindex"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: render())))
    }
}
