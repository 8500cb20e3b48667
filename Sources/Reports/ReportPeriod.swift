public import Foundation

/// A report's days: `YYYY-MM-DD` strings checked, with defaults (the 30 days up to today, UTC).
public enum ReportPeriod {
    /// The first and the after-last day; throws saying which argument is not a date.
    public static func resolve(from: String?, to: String?, today: Date = Date()) throws -> (from: String, to: String) {
        let calendar = Calendar(identifier: .gregorian)
        var utc = calendar
        utc.timeZone = TimeZone(identifier: "UTC")!
        let end = try to.map { try date($0, "to") } ?? utc.date(byAdding: .day, value: 1, to: utc.startOfDay(for: today))!
        let start = try from.map { try date($0, "from") } ?? utc.date(byAdding: .day, value: -30, to: end)!
        return (text(start), text(end))
    }

    static func date(_ text: String, _ name: String) throws -> Date {
        let parser = DateFormatter()
        parser.dateFormat = "yyyy-MM-dd"
        parser.timeZone = TimeZone(identifier: "UTC")
        parser.locale = Locale(identifier: "en_US_POSIX")
        guard text.count == 10, let date = parser.date(from: text) else {
            throw ReportError("--\(name) must be a day, YYYY-MM-DD, got '\(text)'")
        }
        return date
    }

    static func text(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.string(from: date)
    }
}
