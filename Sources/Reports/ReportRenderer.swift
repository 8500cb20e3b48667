import Foundation
import Mustache

/// The report as HTML (a page, or its body for the console), CSV (one row per day) or JSON.
public enum ReportFormat: String, CaseIterable, Sendable {
    case html, json, csv
}

public enum ReportRenderer {
    /// The report in `format`; HTML in the words of `text`.
    public static func render(_ report: ServiceReport, as format: ReportFormat, text: ReportText = .language("en")) throws -> String {
        switch format {
        case .html: page(report, text: text)
        case .json: String(decoding: try json(report), as: UTF8.self)
        case .csv: csv(report)
        }
    }

    static func json(_ report: ServiceReport) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(report)
    }

    /// One row per day: day, conversations, first_response_minutes, csat, nps, unresolved.
    static func csv(_ report: ServiceReport) -> String {
        let value = { (number: Double?) in number.map { String(format: "%.2f", $0) } ?? "" }
        return (["day,conversations,first_response_minutes,csat,nps,unresolved"] + report.days.map { day in
            "\(day.day),\(day.conversations),\(value(day.firstResponseMinutes)),\(value(day.csat)),\(value(day.nps)),\(day.unresolved)"
        }).joined(separator: "\n") + "\n"
    }

    /// A whole HTML page: the report and its style.
    public static func page(_ report: ServiceReport, text: ReportText = .language("en")) -> String {
        """
        <!DOCTYPE html>
        <html lang="\(text.code)" dir="\(text.rightToLeft ? "rtl" : "ltr")">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <title>\(ReportCharts.escape(text(.title))) \(ReportCharts.escape(report.from)) – \(ReportCharts.escape(report.to))</title>
        <style>
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1d1f; background: #f4f4f6;
               margin: 0; padding: 24px; }
        \(style)
        </style></head>
        <body>\(body(report, text: text))</body>
        </html>
        """
    }

    /// The report's style, for a page that embeds `body(_:)` (the console).
    public static let style = """
        .report h1 { font-size: 18px; font-weight: 600; margin: 4px 0 4px; }
        .report .period { color: #666; margin: 0 0 18px; }
        .report .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; margin-bottom: 22px; }
        .report .card { background: #fff; border: 1px solid #e2e2e6; border-radius: 8px; padding: 10px 12px; }
        .report .card .figure { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
        .report .card .what { color: #666; font-size: 12px; }
        .report .panels { display: grid; grid-template-columns: repeat(auto-fill, minmax(580px, 1fr)); gap: 14px; }
        .report .panel { background: #fff; border: 1px solid #e2e2e6; border-radius: 8px; padding: 12px 14px; overflow-x: auto; }
        .report .panel.wide { grid-column: 1 / -1; }
        .report h2 { font-size: 14px; font-weight: 600; margin: 0 0 8px; }
        .report svg text { font-size: 11px; fill: #444; } .report svg text.scale { fill: #888; } .report svg .axis { stroke: #d8d8de; }
        .report table { border-collapse: collapse; width: 100%; }
        .report th { text-align: start; font-weight: 500; color: #666; font-size: 12px; padding: 6px 8px; border-bottom: 1px solid #e2e2e6; }
        .report td { padding: 6px 8px; border-bottom: 1px solid #f0f0f2; }
        .report svg.chart { direction: ltr; }
        .report .num { text-align: end; font-variant-numeric: tabular-nums; }
        .report .none { color: #888; }
        """

    /// The report without a page around it, in the words of `text`.
    public static func body(_ report: ServiceReport, text: ReportText = .language("en")) -> String {
        let h = report.headline
        let number = { (value: Double?) in value.map(text.number) ?? "—" }
        let hours = { (value: Double?) in value.map { text.number($0) + " " + text(.hours) } ?? "—" }
        let percent = { (value: Double?) in value.map { text.number($0) + " %" } ?? "—" }
        let count = { (value: Int) in text.number(Double(value)) }
        let cards: [[String: String]] = [
            ["figure": count(h.conversations), "what": text(.conversations)],
            ["figure": hours(h.firstResponseHours), "what": text(.firstResponse, hours(h.firstResponseBusinessHours))],
            ["figure": hours(h.resolutionHours), "what": text(.resolution, hours(h.resolutionBusinessHours))],
            ["figure": percent(h.firstContactResolution), "what": text(.firstContact)],
            ["figure": percent(h.reopenRate), "what": text(.reopened)],
            ["figure": percent(h.botDeflection), "what": text(.botAlone)],
            ["figure": percent(h.firstResponseSLA), "what": text(.firstResponseSLA)],
            ["figure": percent(h.resolutionSLA), "what": text(.resolutionSLA)],
            ["figure": percent(h.csat), "what": text(.csat, count(h.csatAnswers), percent(h.csatResponseRate))],
            ["figure": number(h.nps), "what": text(.nps, count(h.npsAnswers))],
            ["figure": number(h.ces), "what": text(.ces, count(h.cesAnswers))],
        ]
        let day = { (d: ServiceReport.Day) in d.day }
        let panels: [[String: String]] = [
            ["title": text(.firstResponseChart),
             "chart": ReportCharts.bars(report.days.map { (day($0), $0.firstResponseMinutes) }, unit: text(.minutes), text: text)],
            ["title": text(.csatChart),
             "chart": ReportCharts.bars(report.days.map { (day($0), $0.csat) }, unit: "%", ceiling: 100, accent: "#1e7e45", text: text)],
            ["title": text(.npsChart),
             "chart": ReportCharts.bars(report.days.map { (day($0), $0.nps) }, unit: "", ceiling: 100, floor: -100, accent: "#1a4fb4",
                                        text: text)],
            ["title": text(.backlogChart),
             "chart": ReportCharts.bars(report.days.map { (day($0), Double($0.unresolved)) }, unit: text(.conversations), text: text)],
            ["title": text(.ratingsChart),
             "chart": ReportCharts.shares((1...5).reversed().map { ("\($0)", Double(report.ratings[$0 - 1])) },
                                          total: Double(max(report.ratings.reduce(0, +), 1)), accent: "#1e7e45", text: text)],
            ["title": text(.teamSLAChart),
             "chart": report.teams.isEmpty ? "<p class=\"none\">\(ReportCharts.escape(text(.noConversations)))</p>"
                 : ReportCharts.shares(report.teams.map { ($0.name.isEmpty ? text(.noTeam) : $0.name, $0.firstResponseSLA) }, text: text)],
        ]
        let agents: [[String: String]] = report.agents.map { agent in
            ["name": agent.name, "conversations": count(agent.conversations), "resolved": count(agent.resolved),
             "frt": number(agent.firstResponseMinutes), "fcr": percent(agent.firstContactResolution),
             "csat": agent.csatAnswers == 0 ? "—" : "\(percent(agent.csat)) (\(count(agent.csatAnswers)))"]
        }
        let labels: [String: ReportText.Key] = [
            "title": .title, "agents": .agents, "noAgents": .noAgents, "agent": .agent, "conversationsColumn": .conversationsColumn,
            "resolvedColumn": .resolvedColumn, "firstResponseColumn": .firstResponseColumn, "firstContactColumn": .firstContactColumn,
            "csatColumn": .csatColumn,
        ]
        var context: [String: Any] = [
            "period": text(.period, report.from, report.to, report.store ?? text(.everyStore)),
            "language": text.code, "direction": text.rightToLeft ? "rtl" : "ltr",
            "cards": cards, "panels": panels, "agents": agents, "noAgents": agents.isEmpty,
        ]
        for (name, key) in labels { context["text_" + name] = text(key) }
        return template.render(context)
    }

    private static let template = try! MustacheTemplate(string: """
        <div class="report" lang="{{language}}" dir="{{direction}}">
        <h1>{{text_title}}</h1>
        <p class="period">{{period}}</p>
        <div class="cards">{{#cards}}<div class="card"><div class="figure">{{figure}}</div><div class="what">{{what}}</div></div>{{/cards}}</div>
        <div class="panels">{{#panels}}<div class="panel"><h2>{{title}}</h2>{{{chart}}}</div>
        {{/panels}}<div class="panel wide"><h2>{{text_agents}}</h2>
        {{#noAgents}}<p class="none">{{text_noAgents}}</p>{{/noAgents}}
        {{^noAgents}}<table><thead><tr><th>{{text_agent}}</th><th class="num">{{text_conversationsColumn}}</th><th class="num">{{text_resolvedColumn}}</th>
        <th class="num">{{text_firstResponseColumn}}</th><th class="num">{{text_firstContactColumn}}</th><th class="num">{{text_csatColumn}}</th></tr></thead><tbody>
        {{#agents}}<tr><td>{{name}}</td><td class="num">{{conversations}}</td><td class="num">{{resolved}}</td><td class="num">{{frt}}</td>
        <td class="num">{{fcr}}</td><td class="num">{{csat}}</td></tr>
        {{/agents}}</tbody></table>{{/noAgents}}
        </div></div></div>
        """)
}
