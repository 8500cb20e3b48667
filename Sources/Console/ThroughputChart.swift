import Foundation
import JobQueue
import Reports

/// A queue's last hour as an inline SVG bar chart: one bar per minute, oldest on the left,
/// completions dark and failures red on top, each bar's numbers in its tooltip. Inline, so the
/// page needs no script and no second request.
struct ThroughputChart {
    let minutes: [JobAdmin.Minute]
    var now = Date()

    static let width = 240, height = 36, barWidth = 4

    var peak: Int { minutes.map { $0.completed + $0.failed }.max() ?? 0 }
    var completed: Int { minutes.reduce(0) { $0 + $1.completed } }
    var failed: Int { minutes.reduce(0) { $0 + $1.failed } }

    func svg() -> String {
        let peak = max(1, self.peak)
        let clock = ConsoleTabs.utcClock("HH:mm")
        var bars = ""
        for minute in minutes where minute.minutesAgo < 60 {
            let x = (59 - minute.minutesAgo) * Self.barWidth
            let total = minute.completed + minute.failed
            let height = max(1, Int((Double(total) / Double(peak) * Double(Self.height)).rounded()))
            let failedHeight = minute.failed == 0 ? 0 : max(1, height * minute.failed / max(1, total))
            let label = "\(clock.string(from: now.addingTimeInterval(Double(-60 * minute.minutesAgo)))) UTC: "
                + "\(Self.number(minute.completed)) completed, \(Self.number(minute.failed)) failed"
            bars += "<g><title>\(label)</title>"
            bars += "<rect x=\"\(x)\" y=\"\(Self.height - height)\" width=\"\(Self.barWidth - 1)\" height=\"\(height - failedHeight)\" class=\"ok\"/>"
            if failedHeight > 0 {
                bars += "<rect x=\"\(x)\" y=\"\(Self.height - height)\" width=\"\(Self.barWidth - 1)\" height=\"\(failedHeight)\" class=\"failed\"/>"
            }
            bars += "</g>"
        }
        let summary = "Last hour: \(Self.number(completed)) completed, \(Self.number(failed)) failed, at most \(Self.number(self.peak)) a minute"
        return "<svg class=\"chart\" role=\"img\" aria-label=\"\(summary)\" width=\"\(Self.width)\" height=\"\(Self.height + 1)\" "
            + "viewBox=\"0 0 \(Self.width) \(Self.height + 1)\"><title>\(summary)</title>"
            + "<line x1=\"0\" y1=\"\(Self.height)\" x2=\"\(Self.width)\" y2=\"\(Self.height)\" class=\"axis\"/>\(bars)</svg>"
    }

    /// 1234567 → "1,234,567".
    static func number(_ value: Int) -> String { ReportText.language("en").number(Double(value)) }
}

/// Ages as people read them: "4 s", "12 min", "3 h 5 min", "2 d".
func humanAge(_ seconds: Double) -> String {
    let s = Int(seconds.rounded(.down))
    switch s {
    case ..<60: return "\(max(0, s)) s"
    case ..<3600: return "\(s / 60) min"
    case ..<86400: return s % 3600 / 60 == 0 ? "\(s / 3600) h" : "\(s / 3600) h \(s % 3600 / 60) min"
    default: return "\(s / 86400) d"
    }
}
