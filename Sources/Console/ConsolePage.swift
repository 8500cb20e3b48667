import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import Reports

/// The console's frame: a header with the tabs and who is signed in, a line for what the last
/// action did (or why it could not), and one tab's content. Server-rendered, no script: every
/// action is a small form that posts and comes back.
struct ConsolePage {
    enum Tab: String, CaseIterable {
        case queues, workers, inbound, outbox, report, audit

        var title: String {
            switch self {
            case .queues: "Queues"
            case .workers: "Workers"
            case .inbound: "Inbound"
            case .outbox: "Outbox"
            case .report: "Report"
            case .audit: "Audit"
            }
        }
    }

    var tab: Tab
    var prefix: String
    var user: ConsoleUser
    /// The tab's HTML (``ConsoleTabs/render(_:_:on:)``).
    var content: String
    var notice: String?
    var problem: String?

    func render(now: Date = Date()) -> String {
        let clock = ConsoleTabs.utcClock("yyyy-MM-dd HH:mm:ss")
        var context: [String: Any] = [
            "title": tab.title, "prefix": prefix,
            "tabs": Tab.allCases.map { ["path": $0.rawValue, "title": $0.title, "current": $0 == tab] },
            "role": user.role == .admin ? "admin" : "read-only",
            "updated": clock.string(from: now),
            "content": content,
        ]
        // Absent, not nil: Mustache takes an Optional in Any for a value and prints "nil".
        if !user.name.isEmpty { context["user"] = user.name }
        if let notice { context["notice"] = notice }
        if let problem { context["problem"] = problem }
        return Self.frame.render(context)
    }

    func response(_ status: HTTPResponse.Status = .ok) -> Response {
        ConsolePage.html(render(), status: status)
    }

    /// HTML with the console's headers: never cached, never framed, forms only to itself.
    static func html(_ body: String, status: HTTPResponse.Status, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A page of its own for a refusal (not signed in, not allowed, console off).
    static func message(_ title: String, _ text: String, status: HTTPResponse.Status, headers: HTTPFields = [:]) -> Response {
        html(messageTemplate.render(["title": title, "text": text, "style": style]), status: status, headers: headers)
    }

    static let style = """
        :root { color-scheme: light; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1d1f;
               background: #f4f4f6; margin: 0; }
        header { background: #fff; border-bottom: 1px solid #e2e2e6; padding: 0 24px; display: flex; align-items: center; gap: 28px; }
        header .brand { font-weight: 600; padding: 14px 0; }
        nav a { display: inline-block; padding: 14px 2px; margin-right: 18px; color: #555; text-decoration: none; border-bottom: 2px solid transparent; }
        nav a.current { color: #1d1d1f; border-bottom-color: #1d1d1f; }
        header .who { margin-left: auto; color: #666; font-size: 13px; }
        main { padding: 20px 24px 40px; max-width: 1200px; }
        h1 { font-size: 18px; font-weight: 600; margin: 4px 0 16px; }
        h2 { font-size: 15px; font-weight: 600; margin: 28px 0 10px; }
        .card { background: #fff; border: 1px solid #e2e2e6; border-radius: 8px; overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th { text-align: left; font-weight: 500; color: #666; font-size: 12px; padding: 8px 12px; border-bottom: 1px solid #e2e2e6; white-space: nowrap; }
        td { padding: 9px 12px; border-bottom: 1px solid #f0f0f2; vertical-align: middle; }
        tr:last-child td { border-bottom: 0; }
        .num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
        .muted, .small { color: #777; }
        .small { font-size: 12px; }
        .reason { max-width: 520px; }
        .tag { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 9px; background: #ececf0; color: #444; margin-left: 6px; }
        .tag.paused, .tag.dead { background: #fdecea; color: #a02a1f; }
        .tag.leader { background: #e8f0fe; color: #1a4fb4; }
        .bad { color: #b3261e; font-weight: 600; }
        .banner { padding: 10px 14px; border-radius: 8px; margin-bottom: 16px; }
        .banner.notice { background: #e7f5ec; color: #1e5b34; }
        .banner.problem { background: #fdecea; color: #8c1d13; }
        form.inline { display: inline; margin: 0; }
        button { font: inherit; font-size: 12px; padding: 4px 10px; border-radius: 6px; border: 1px solid #c9c9cf; background: #fff; color: #1d1d1f; cursor: pointer; }
        button:hover { background: #f0f0f3; }
        button.danger { border-color: #e3a39d; color: #a02a1f; }
        .chart rect.ok { fill: #3c3c43; } .chart rect.failed { fill: #d93025; } .chart .axis { stroke: #d8d8de; stroke-width: 1; }
        .empty { padding: 18px 12px; color: #777; }
        footer { color: #999; font-size: 12px; margin-top: 24px; }
        code { font-size: 12px; background: #f0f0f3; padding: 1px 5px; border-radius: 4px; }
        .period-form { margin: 0 0 16px; } .period-form label { margin-right: 12px; color: #555; }
        input { font: inherit; font-size: 13px; padding: 3px 6px; border: 1px solid #c9c9cf; border-radius: 6px; }
        """

    private static let frame = try! MustacheTemplate(string: """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <title>{{title}} · Switchboard console</title>
        <style>
        \(style)
        \(ReportRenderer.style)
        </style>
        </head>
        <body>
        <header>
        <span class="brand">Switchboard</span>
        <nav>{{#tabs}}<a href="{{prefix}}/{{path}}"{{#current}} class="current" aria-current="page"{{/current}}>{{title}}</a>{{/tabs}}</nav>
        <span class="who">{{#user}}{{user}} · {{/user}}{{role}}</span>
        </header>
        <main>
        {{#notice}}<div class="banner notice" role="status">{{notice}}</div>{{/notice}}
        {{#problem}}<div class="banner problem" role="alert">{{problem}}</div>{{/problem}}
        {{{content}}}
        <footer>Updated {{updated}} UTC · reload the page for fresh figures</footer>
        </main>
        </body>
        </html>
        """)

    private static let messageTemplate = try! MustacheTemplate(string: """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="robots" content="noindex"><title>{{title}} · Switchboard console</title>
        <style>{{{style}}}</style></head>
        <body><main><h1>{{title}}</h1><p>{{text}}</p></main></body>
        </html>
        """)
}
