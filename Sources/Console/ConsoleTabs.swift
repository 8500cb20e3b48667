import Foundation
import Helpdesk
import JobQueue
import Mustache
import Notify
import Postgres
import Reports

/// Each tab's content: what it reads and how it shows it. Reading is one short transaction per
/// page, with the tables the CLI's status commands read.
enum ConsoleTabs {
    /// What every tab's forms need.
    struct Shared: Sendable {
        let prefix: String
        let formToken: String
        let isAdmin: Bool
        /// The page's query (the report's period).
        var query: [String: String] = [:]
    }

    /// The HTML of `tab`'s content.
    static func render(_ tab: ConsolePage.Tab, _ shared: Shared, on connection: isolated PostgresConnection) throws -> String {
        let (template, context): (MustacheTemplate, [String: Any]) = switch tab {
        case .queues: (queuesTemplate, try queues(on: connection))
        case .workers: (workersTemplate, try workers(on: connection))
        case .inbound: (inboundTemplate, try inbound(on: connection))
        case .outbox: (outboxTemplate, try outbox(on: connection))
        case .report: (reportTemplate, try report(shared.query, on: connection))
        case .audit: (auditTemplate, try audit(on: connection))
        }
        var values: [String: Any] = ["prefix": shared.prefix, "csrf": shared.formToken, "admin": shared.isAdmin]
        values.merge(context) { _, new in new }
        return template.render(values)
    }

    static let listLimit = 50

    // MARK: Queues

    private static func queues(on connection: isolated PostgresConnection) throws -> [String: Any] {
        let status = try JobStatus.read(on: connection)
        let minutes = try JobAdmin.throughputByMinute(on: connection)
        let names = Set(status.queues.map(\.name)).union(minutes.keys).sorted()
        let rows: [[String: Any]] = names.map { name in
            let queue = status.queues.first { $0.name == name }
            let count = { (state: String) in queue?.counts[state] ?? 0 }
            let chart = ThroughputChart(minutes: minutes[name] ?? [])
            return [
                "name": name, "paused": queue?.paused ?? false,
                "available": ThroughputChart.number(count("available")), "scheduled": ThroughputChart.number(count("scheduled")),
                "running": ThroughputChart.number(count("running")), "dead": ThroughputChart.number(count("dead")),
                "hasDead": count("dead") > 0,
                "oldest": (queue?.oldestAvailableAgeSeconds).map(humanAge) ?? "—",
                "chart": chart.svg(),
                "completedHour": ThroughputChart.number(chart.completed), "failedHour": ThroughputChart.number(chart.failed),
            ]
        }
        return ["queues": rows, "none": rows.isEmpty]
    }

    private static let queuesTemplate = try! MustacheTemplate(string: """
        <h1>Queues</h1>
        <div class="card">
        {{#none}}<p class="empty">No jobs yet: queues appear here once jobs are enqueued.</p>{{/none}}
        {{^none}}<table>
        <thead><tr><th>Queue</th><th class="num">Available</th><th class="num">Scheduled</th><th class="num">Running</th>
        <th class="num">Dead</th><th class="num">Oldest waiting</th><th>Last hour, per minute</th>{{#admin}}<th></th>{{/admin}}</tr></thead>
        <tbody>
        {{#queues}}<tr>
        <td><strong>{{name}}</strong>{{#paused}}<span class="tag paused">paused</span>{{/paused}}</td>
        <td class="num">{{available}}</td><td class="num">{{scheduled}}</td><td class="num">{{running}}</td>
        <td class="num">{{#hasDead}}<span class="bad">{{dead}}</span>{{/hasDead}}{{^hasDead}}{{dead}}{{/hasDead}}</td>
        <td class="num">{{oldest}}</td>
        <td>{{{chart}}}<div class="small">{{completedHour}} completed · {{failedHour}} failed</div></td>
        {{#admin}}<td class="num">
        <form class="inline" method="post" action="{{prefix}}/act"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="queue" value="{{name}}">
        {{#paused}}<input type="hidden" name="action" value="resume_queue"><button type="submit">Resume</button>{{/paused}}
        {{^paused}}<input type="hidden" name="action" value="pause_queue"><button type="submit">Pause</button>{{/paused}}</form>
        {{#hasDead}}<form class="inline" method="post" action="{{prefix}}/act"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="queue" value="{{name}}">
        <input type="hidden" name="action" value="retry_dead"><button type="submit">Retry {{dead}} dead</button></form>{{/hasDead}}
        </td>{{/admin}}
        </tr>
        {{/queues}}
        </tbody></table>{{/none}}
        </div>
        <p class="small muted">Paused queues keep their jobs; workers finish what they run and claim nothing new until resumed.
        Dead jobs used all their attempts: <code>switchboard jobs show ID</code> gives each one's errors.</p>
        """)

    // MARK: Workers

    private static func workers(on connection: isolated PostgresConnection) throws -> [String: Any] {
        let workers = try JobStatus.workers(on: connection)
        let clock = utcClock("yyyy-MM-dd HH:mm")
        let rows: [[String: Any]] = workers.map { worker in
            [
                "id": worker.id, "host": worker.host, "pid": worker.pid, "leader": worker.isLeader,
                "queues": worker.queues.sorted { $0.key < $1.key }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "),
                "inFlight": worker.inFlight, "started": clock.string(from: worker.startedAt),
                "heartbeat": humanAge(worker.heartbeatAgeSeconds) + " ago", "stale": worker.heartbeatAgeSeconds > 30,
            ]
        }
        return ["workers": rows, "none": rows.isEmpty]
    }

    private static let workersTemplate = try! MustacheTemplate(string: """
        <h1>Workers</h1>
        <div class="card">
        {{#none}}<p class="empty">No worker is registered. Start one with <code>switchboard worker</code>.</p>{{/none}}
        {{^none}}<table>
        <thead><tr><th>Host</th><th class="num">PID</th><th>Queues × concurrency</th><th class="num">Running now</th><th>Started (UTC)</th><th>Heartbeat</th></tr></thead>
        <tbody>
        {{#workers}}<tr>
        <td><strong>{{host}}</strong>{{#leader}}<span class="tag leader">leader</span>{{/leader}}</td><td class="num">{{pid}}</td>
        <td>{{queues}}</td><td class="num">{{inFlight}}</td><td>{{started}}</td>
        <td>{{#stale}}<span class="bad">{{heartbeat}}</span>{{/stale}}{{^stale}}{{heartbeat}}{{/stale}}</td>
        </tr>
        {{/workers}}
        </tbody></table>{{/none}}
        </div>
        <p class="small muted">The leader promotes scheduled jobs, rescues expired leases and prunes old rows. A worker whose heartbeat
        stops is removed by the leader and its jobs are rescued.</p>
        """)

    // MARK: Inbound

    private static func inbound(on connection: isolated PostgresConnection) throws -> [String: Any] {
        let counts = try InboundAdmin.counts(on: connection)
        let rejected = try InboundAdmin.rejected(limit: listLimit, on: connection)
        let clock = utcClock("yyyy-MM-dd HH:mm:ss")
        let statuses: [InboundStatus] = [.received, .processed, .duplicate, .automated, .rejected]
        return [
            "counts": statuses.map { ["status": $0.rawValue, "count": ThroughputChart.number(counts[$0] ?? 0)] },
            "rejectedTotal": ThroughputChart.number(counts[.rejected] ?? 0), "anyRejected": (counts[.rejected] ?? 0) > 0,
            "rejections": rejected.map { row in
                [
                    "id": row.id, "received": clock.string(from: row.receivedAt), "channel": row.channel ?? "—",
                    "code": row.rejectCode ?? "—", "reason": row.rejectReason ?? "",
                ] as [String: Any]
            },
            "listLimit": listLimit, "more": (counts[.rejected] ?? 0) > rejected.count,
        ]
    }

    private static let inboundTemplate = try! MustacheTemplate(string: """
        <h1>Inbound messages</h1>
        <div class="card"><table><thead><tr>{{#counts}}<th class="num">{{status}}</th>{{/counts}}</tr></thead>
        <tbody><tr>{{#counts}}<td class="num">{{count}}</td>{{/counts}}</tr></tbody></table></div>
        <h2>Rejected{{#more}} — the latest {{listLimit}}{{/more}}</h2>
        <div class="card">
        {{^anyRejected}}<p class="empty">Nothing rejected.</p>{{/anyRejected}}
        {{#anyRejected}}<table>
        <thead><tr><th class="num">ID</th><th>Received (UTC)</th><th>Channel</th><th>Code</th><th>Reason</th>{{#admin}}<th></th>{{/admin}}</tr></thead>
        <tbody>
        {{#rejections}}<tr><td class="num">{{id}}</td><td>{{received}}</td><td>{{channel}}</td><td><code>{{code}}</code></td>
        <td class="reason">{{reason}}</td>
        {{#admin}}<td class="num"><form class="inline" method="post" action="{{prefix}}/act"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="action" value="retry_inbound"><input type="hidden" name="id" value="{{id}}"><button type="submit">Retry</button></form></td>{{/admin}}
        </tr>
        {{/rejections}}
        </tbody></table>{{/anyRejected}}
        </div>
        {{#admin}}{{#anyRejected}}<p><form class="inline" method="post" action="{{prefix}}/act"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="action" value="retry_rejected"><button type="submit" class="danger">Retry all {{rejectedTotal}} rejected</button></form>
        <span class="small muted">after fixing the rule or setting that rejected them.</span></p>{{/anyRejected}}{{/admin}}
        <p class="small muted">A rejected message is kept with its reason; retrying processes it again as if it had just arrived.</p>
        """)

    // MARK: Outbox

    private static func outbox(on connection: isolated PostgresConnection) throws -> [String: Any] {
        let counts = try NotifyAdmin.counts(on: connection)
        let statuses = ["pending", "sending", "sent", "failed", "suppressed", "cancelled"]
        let channels = Array(Set(counts.map(\.channel))).sorted()
        let reasons = try NotifyAdmin.reasons(statuses: ["failed", "suppressed", "cancelled"], limit: 20, on: connection)
        let failed = try NotifyAdmin.latest(status: "failed", limit: listLimit, on: connection)
        let clock = utcClock("yyyy-MM-dd HH:mm:ss")
        return [
            "statuses": statuses,
            "channels": channels.map { channel in
                [
                    "channel": channel,
                    "cells": statuses.map { status in
                        let n = counts.first { $0.channel == channel && $0.status == status }?.count ?? 0
                        return ["count": ThroughputChart.number(n), "bad": status == "failed" && n > 0] as [String: Any]
                    },
                ] as [String: Any]
            },
            "none": channels.isEmpty,
            "reasons": reasons.map { ["status": $0.status, "reason": $0.reason, "count": ThroughputChart.number($0.count)] },
            "anyReasons": !reasons.isEmpty,
            "failed": failed.map { row in
                [
                    "id": row.id, "kind": row.kind, "channel": row.channel, "attempts": row.attempts,
                    "created": clock.string(from: row.createdAt), "error": row.lastError ?? "",
                ] as [String: Any]
            },
            "anyFailed": !failed.isEmpty, "listLimit": listLimit,
        ]
    }

    private static let outboxTemplate = try! MustacheTemplate(string: """
        <h1>Outbox</h1>
        <div class="card">
        {{#none}}<p class="empty">Nothing has been written to the outbox yet.</p>{{/none}}
        {{^none}}<table><thead><tr><th>Channel</th>{{#statuses}}<th class="num">{{.}}</th>{{/statuses}}</tr></thead>
        <tbody>{{#channels}}<tr><td><strong>{{channel}}</strong></td>{{#cells}}<td class="num">{{#bad}}<span class="bad">{{count}}</span>{{/bad}}{{^bad}}{{count}}{{/bad}}</td>{{/cells}}</tr>
        {{/channels}}</tbody></table>{{/none}}
        </div>
        <h2>Not sent in the last day, and why</h2>
        <div class="card">
        {{^anyReasons}}<p class="empty">Every message of the last day was sent or is on its way.</p>{{/anyReasons}}
        {{#anyReasons}}<table><thead><tr><th>Status</th><th>Reason</th><th class="num">Messages</th></tr></thead><tbody>
        {{#reasons}}<tr><td>{{status}}</td><td class="reason">{{reason}}</td><td class="num">{{count}}</td></tr>
        {{/reasons}}</tbody></table>{{/anyReasons}}
        </div>
        {{#anyFailed}}<h2>Failed messages — the latest {{listLimit}}</h2>
        <div class="card"><table>
        <thead><tr><th class="num">ID</th><th>Created (UTC)</th><th>Kind</th><th>Channel</th><th class="num">Attempts</th><th>Last error</th>{{#admin}}<th></th>{{/admin}}</tr></thead>
        <tbody>{{#failed}}<tr><td class="num">{{id}}</td><td>{{created}}</td><td>{{kind}}</td><td>{{channel}}</td><td class="num">{{attempts}}</td>
        <td class="reason">{{error}}</td>
        {{#admin}}<td class="num"><form class="inline" method="post" action="{{prefix}}/act"><input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="action" value="retry_outbox"><input type="hidden" name="id" value="{{id}}"><button type="submit">Send again</button></form></td>{{/admin}}
        </tr>
        {{/failed}}</tbody></table></div>{{/anyFailed}}
        <p class="small muted"><code>switchboard notify show ID</code> tells a message's whole story: every attempt, hold and receipt.</p>
        """)

    // MARK: Report

    private static func report(_ query: [String: String], on connection: isolated PostgresConnection) throws -> [String: Any] {
        let store = query["store"].flatMap { $0.isEmpty ? nil : $0 }
        let period: (from: String, to: String)
        do {
            period = try ReportPeriod.resolve(from: query["from"].flatMap { $0.isEmpty ? nil : $0 },
                                              to: query["to"].flatMap { $0.isEmpty ? nil : $0 })
            guard period.from < period.to else { throw ReportError("the first day must come before the last") }
        } catch {
            return ["problem": "\(error)", "from": query["from"] ?? "", "to": query["to"] ?? "", "store": store ?? ""]
        }
        let report = try ServiceReport.read(from: period.from, to: period.to, store: store, on: connection)
        let text = query["lang"].flatMap { $0.isEmpty ? nil : ReportText.language($0) } ?? ReportText.accepting(query["accept-language"])
        return ["report": ReportRenderer.body(report, text: text), "from": period.from, "to": period.to, "store": store ?? "",
                "languages": ReportText.languages.map { ["code": $0, "name": ReportText.language($0).name, "selected": $0 == text.code] }]
    }

    private static let reportTemplate = try! MustacheTemplate(string: """
        <form method="get" action="{{prefix}}/report" class="period-form">
        <label>From <input type="date" name="from" value="{{from}}"></label>
        <label>to (not included) <input type="date" name="to" value="{{to}}"></label>
        <label>Store <input type="text" name="store" value="{{store}}" placeholder="every store" size="12"></label>
        <label>Language <select name="lang">{{#languages}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/languages}}</select></label>
        <button type="submit">Show</button>
        </form>
        {{#problem}}<p class="bad">{{problem}}</p>{{/problem}}
        {{{report}}}
        <p class="small muted">Every figure is defined in docs/metrics.md; <code>switchboard report --format html|json|csv</code> gives the same.</p>
        """)

    // MARK: Audit

    private static func audit(on connection: isolated PostgresConnection) throws -> [String: Any] {
        let clock = utcClock("yyyy-MM-dd HH:mm:ss")
        let rows = try ConsoleAudit.latest(limit: 100, on: connection)
        return [
            "events": rows.map { ["at": clock.string(from: $0.at), "user": $0.user, "summary": $0.summary] },
            "none": rows.isEmpty,
        ]
    }

    private static let auditTemplate = try! MustacheTemplate(string: """
        <h1>Audit</h1>
        <div class="card">
        {{#none}}<p class="empty">No action has been taken from the console yet.</p>{{/none}}
        {{^none}}<table><thead><tr><th>When (UTC)</th><th>Who</th><th>What</th></tr></thead><tbody>
        {{#events}}<tr><td>{{at}}</td><td>{{user}}</td><td>{{summary}}</td></tr>
        {{/events}}</tbody></table>{{/none}}
        </div>
        <p class="small muted">Every action taken from the console is recorded in <code>audit_events</code> (kind <code>console_action</code>),
        in the same transaction as the action itself.</p>
        """)

    /// Times in UTC, as every console page shows them.
    static func utcClock(_ format: String) -> DateFormatter {
        let clock = DateFormatter()
        clock.dateFormat = format
        clock.timeZone = TimeZone(identifier: "UTC")
        return clock
    }
}
