import Foundation

/// The report's charts as inline SVG: bars per day (a gap where nothing was measured), and
/// horizontal bars for shares. Each bar's figure is in its tooltip; no script, no second request.
enum ReportCharts {
    /// Vertical bars of `values` (one per day), scaled to the largest (or to `ceiling`).
    /// With a negative `floor` (NPS), bars go down from a zero line.
    static func bars(_ values: [(label: String, value: Double?)], unit: String, ceiling: Double? = nil, floor: Double = 0,
                     accent: String = "#3c3c43", width: Int = 560, height: Int = 120, text: ReportText) -> String {
        let format = text.number
        let top = ceiling ?? max(values.compactMap(\.value).max() ?? 0, 1)
        let plot = Double(height - 14)
        let zero = 14 + plot * top / (top - floor)
        let step = Double(width) / Double(max(values.count, 1))
        var bars = ""
        for (index, entry) in values.enumerated() {
            guard let value = entry.value else { continue }
            let length = max(1, abs(value) / (top - floor) * plot)
            let y = value >= 0 ? zero - length : zero
            let x = Int((Double(index) * step).rounded())
            bars += "<g><title>\(escape(entry.label)): \(format(value)) \(escape(unit))</title>"
                + "<rect x=\"\(x)\" y=\"\(Int(y.rounded()))\" width=\"\(max(1, Int(step) - 2))\" height=\"\(Int(length.rounded()))\" "
                + "fill=\"\(value >= 0 ? accent : "#d93025")\"/></g>"
        }
        let first = values.first?.label ?? "", last = values.last?.label ?? ""
        return "<svg class=\"chart\" role=\"img\" aria-label=\"\(escape(unit))\" direction=\"ltr\" width=\"\(width)\" height=\"\(height + 16)\" "
            + "viewBox=\"0 0 \(width) \(height + 16)\"><text x=\"0\" y=\"10\" class=\"scale\">\(format(top)) \(escape(unit))</text>"
            + "<line x1=\"0\" y1=\"\(Int(zero.rounded()))\" x2=\"\(width)\" y2=\"\(Int(zero.rounded()))\" class=\"axis\"/>\(bars)"
            + "<text x=\"0\" y=\"\(height + 14)\" class=\"scale\">\(escape(first))</text>"
            + "<text x=\"\(width)\" y=\"\(height + 14)\" class=\"scale\" text-anchor=\"end\">\(escape(last))</text></svg>"
    }

    /// Horizontal bars, each `value` of `total` (a count) or a percentage when `total` is nil.
    static func shares(_ rows: [(label: String, value: Double?)], total: Double? = nil, accent: String = "#3c3c43", width: Int = 360,
                       text: ReportText) -> String {
        let format = text.number
        let rowHeight = 22
        var body = ""
        for (index, row) in rows.enumerated() {
            let y = index * rowHeight
            let share = row.value.map { value in total.map { t in t > 0 ? value / t : 0 } ?? value / 100 } ?? 0
            let length = max(0, Int((share * Double(width - 170)).rounded()))
            let shown = row.value.map { total == nil ? "\(format($0)) %" : format($0) } ?? "—"
            body += "<text x=\"0\" y=\"\(y + 15)\">\(escape(row.label))</text>"
                + "<rect x=\"110\" y=\"\(y + 4)\" width=\"\(length)\" height=\"14\" fill=\"\(accent)\"/>"
                + "<text x=\"\(116 + length)\" y=\"\(y + 15)\" class=\"value\">\(shown)</text>"
        }
        let height = rows.count * rowHeight
        return "<svg class=\"chart shares\" role=\"img\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\(body)</svg>"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
