import Foundation
import Mustache

/// The report as HTML (a page, or its body for the console), CSV (one row per day) or JSON.
public enum ReportFormat: String, CaseIterable, Sendable {
    case html, json, csv
}

public enum ReportRenderer {
    public static func render(_ report: ServiceReport, as format: ReportFormat) throws -> String {
        switch format {
        case .html: page(report)
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
    public static func page(_ report: ServiceReport) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
        <title>Service report \(ReportCharts.escape(report.from)) – \(ReportCharts.escape(report.to))</title>
        <style>
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; color: #1d1d1f; background: #f4f4f6;
               margin: 0; padding: 24px; }
        \(style)
        </style></head>
        <body>\(body(report))</body>
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
        .report th { text-align: left; font-weight: 500; color: #666; font-size: 12px; padding: 6px 8px; border-bottom: 1px solid #e2e2e6; }
        .report td { padding: 6px 8px; border-bottom: 1px solid #f0f0f2; }
        .report .num { text-align: right; font-variant-numeric: tabular-nums; }
        .report .none { color: #888; }
        """

    /// The report without a page around it.
    public static func body(_ report: ServiceReport) -> String {
        let h = report.headline
        let hours = { (value: Double?) in value.map { ReportCharts.format($0) + " h" } ?? "—" }
        let percent = { (value: Double?) in value.map { ReportCharts.format($0) + " %" } ?? "—" }
        let cards: [[String: String]] = [
            ["figure": ReportCharts.format(Double(h.conversations)), "what": "conversations"],
            ["figure": hours(h.firstResponseHours), "what": "first response, mean (\(hours(h.firstResponseBusinessHours)) in business hours)"],
            ["figure": hours(h.resolutionHours), "what": "full resolution, mean (\(hours(h.resolutionBusinessHours)) in business hours)"],
            ["figure": percent(h.firstContactResolution), "what": "resolved at first contact"],
            ["figure": percent(h.reopenRate), "what": "reopened"],
            ["figure": percent(h.botDeflection), "what": "resolved by the bot alone"],
            ["figure": percent(h.firstResponseSLA), "what": "first responses within SLA"],
            ["figure": percent(h.resolutionSLA), "what": "resolutions within SLA"],
            ["figure": percent(h.csat), "what": "CSAT: 4–5 of \(h.csatAnswers) answers (\(percent(h.csatResponseRate)) answered)"],
            ["figure": h.nps.map { ReportCharts.format($0) } ?? "—", "what": "NPS of \(h.npsAnswers) answers"],
            ["figure": h.ces.map { ReportCharts.format($0) } ?? "—", "what": "CES of \(h.cesAnswers) answers (1–7)"],
        ]
        let day = { (d: ServiceReport.Day) in d.day }
        let panels: [[String: String]] = [
            ["title": "First response time, mean per day",
             "chart": ReportCharts.bars(report.days.map { (day($0), $0.firstResponseMinutes) }, unit: "min")],
            ["title": "CSAT per day", "chart": ReportCharts.bars(report.days.map { (day($0), $0.csat) }, unit: "%", ceiling: 100, accent: "#1e7e45")],
            ["title": "NPS per day", "chart": ReportCharts.bars(report.days.map { (day($0), $0.nps) }, unit: "", ceiling: 100, floor: -100, accent: "#1a4fb4")],
            ["title": "Unresolved at the end of each day",
             "chart": ReportCharts.bars(report.days.map { (day($0), Double($0.unresolved)) }, unit: "conversations")],
            ["title": "CSAT ratings",
             "chart": ReportCharts.shares((1...5).reversed().map { ("\($0)", Double(report.ratings[$0 - 1])) },
                                          total: Double(max(report.ratings.reduce(0, +), 1)), accent: "#1e7e45")],
            ["title": "First responses within SLA, by team",
             "chart": report.teams.isEmpty ? "<p class=\"none\">No conversations.</p>"
                 : ReportCharts.shares(report.teams.map { ($0.name, $0.firstResponseSLA) })],
        ]
        let number = { (value: Double?) in value.map { ReportCharts.format($0) } ?? "—" }
        let agents: [[String: String]] = report.agents.map { agent in
            ["name": agent.name, "conversations": String(agent.conversations), "resolved": String(agent.resolved),
             "frt": number(agent.firstResponseMinutes), "fcr": percent(agent.firstContactResolution),
             "csat": agent.csatAnswers == 0 ? "—" : "\(percent(agent.csat)) (\(agent.csatAnswers))"]
        }
        return template.render([
            "from": report.from, "to": report.to, "store": report.store ?? "every store",
            "cards": cards, "panels": panels, "agents": agents, "noAgents": agents.isEmpty,
        ])
    }

    private static let template = try! MustacheTemplate(string: """
        <div class="report">
        <h1>Service report</h1>
        <p class="period">{{from}} to {{to}} (the last day not included) · {{store}}</p>
        <div class="cards">{{#cards}}<div class="card"><div class="figure">{{figure}}</div><div class="what">{{what}}</div></div>{{/cards}}</div>
        <div class="panels">{{#panels}}<div class="panel"><h2>{{title}}</h2>{{{chart}}}</div>
        {{/panels}}<div class="panel wide"><h2>Agents</h2>
        {{#noAgents}}<p class="none">No conversation had an agent.</p>{{/noAgents}}
        {{^noAgents}}<table><thead><tr><th>Agent</th><th class="num">Conversations</th><th class="num">Resolved</th>
        <th class="num">First response, min</th><th class="num">First contact</th><th class="num">CSAT (answers)</th></tr></thead><tbody>
        {{#agents}}<tr><td>{{name}}</td><td class="num">{{conversations}}</td><td class="num">{{resolved}}</td><td class="num">{{frt}}</td>
        <td class="num">{{fcr}}</td><td class="num">{{csat}}</td></tr>
        {{/agents}}</tbody></table>{{/noAgents}}
        </div></div></div>
        """)
}
