import Hummingbird
import HTTPTypes
import Logging
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
    /// A form posting to the page's own address with one button per choice (`name=value`), and
    /// an optional comment field: a survey's ratings.
    var choices: Choices?

    struct Choices {
        var name: String
        var options: [(value: String, label: String, chosen: Bool)]
        var commentLabel: String?
        var comment: String?
    }

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
        .choices button { display: block; width: 100%; margin: 0 0 .5rem; text-align: start; background: #f0f0f3; color: #1d1d1f; }
        .choices button.chosen { background: #1d1d1f; color: #fff; }
        label { display: block; margin: 0 0 .4rem; color: #555; }
        textarea { font: inherit; width: 100%; box-sizing: border-box; min-height: 4.5rem; margin: 0 0 1rem; padding: .5rem;
                   border: 1px solid #c9c9cf; border-radius: 8px; }
        </style>
        </head>
        <body>
        <main>
        <h1>{{title}}</h1>
        {{#paragraphs}}<p{{#detail}} class="detail"{{/detail}}>{{text}}</p>
        {{/paragraphs}}{{#button}}<form method="post"><button type="submit">{{button}}</button></form>
        {{/button}}{{#choices}}<form method="post">
        {{#commentLabel}}<label for="comment">{{commentLabel}}</label><textarea id="comment" name="comment" maxlength="2000">{{comment}}</textarea>
        {{/commentLabel}}<div class="choices">{{#options}}<button type="submit" name="{{name}}" value="{{value}}"{{#chosen}} class="chosen"{{/chosen}}>{{label}}</button>
        {{/options}}</div></form>
        {{/choices}}</main>
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
        if let choices {
            var form: [String: Any] = [
                "options": choices.options.map { ["name": choices.name, "value": $0.value, "label": $0.label, "chosen": $0.chosen] },
            ]
            if let label = choices.commentLabel { form["commentLabel"] = label }
            if let comment = choices.comment { form["comment"] = comment }
            context["choices"] = form
        }
        return Self.template.render(context)
    }

    /// The page that says the database cannot be reached: 503, try again later.
    static func unavailable(_ error: any Error, logger: Logger) -> Response {
        logger.warning("a customer page cannot reach the database", metadata: ["error": "\(error)"])
        let text = CustomerPageText.forLocale(nil)
        var response = CustomerPage(text: text, title: text.problemTitle, paragraphs: [text.unavailable]).response(.serviceUnavailable)
        response.headers[.retryAfter] = "30"
        return response
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
