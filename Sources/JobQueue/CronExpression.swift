public import Foundation

/// A cron expression in UTC: five fields (minute hour day-of-month month day-of-week) or six with
/// a leading seconds field. Each field takes `*`, numbers, ranges `a-b`, steps `*/n` or `a-b/n`,
/// and comma lists; months and weekdays also take names (`jan`, `mon`); weekday 0 and 7 are Sunday.
/// As in classic cron, when both day fields are restricted a day matching either one fires.
public struct CronExpression: Sendable, Equatable, CustomStringConvertible {
    public let description: String
    let seconds: Set<Int>
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let daysOfMonthRestricted: Bool
    let daysOfWeekRestricted: Bool

    public init(_ text: String) throws {
        description = text
        let fields = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw JobQueueError(.invalidSchedule, "cron expression '\(text)' has \(fields.count) fields; expected 5 (minute hour day month weekday) or 6 (with seconds first)")
        }
        let f = fields.count == 6 ? fields : ["0"] + fields
        seconds = try Self.parse(f[0], name: "second", range: 0...59, text: text)
        minutes = try Self.parse(f[1], name: "minute", range: 0...59, text: text)
        hours = try Self.parse(f[2], name: "hour", range: 0...23, text: text)
        daysOfMonth = try Self.parse(f[3], name: "day of month", range: 1...31, text: text)
        months = try Self.parse(f[4], name: "month", range: 1...12, text: text, names: Self.monthNames)
        var weekdays = try Self.parse(f[5], name: "day of week", range: 0...7, text: text, names: Self.dayNames)
        if weekdays.remove(7) != nil { weekdays.insert(0) }
        daysOfWeek = weekdays
        daysOfMonthRestricted = f[3] != "*" && f[3] != "?"
        daysOfWeekRestricted = f[5] != "*" && f[5] != "?"
    }

    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    private static func parse(_ field: String, name: String, range: ClosedRange<Int>, text: String,
                              names: [String] = []) throws -> Set<Int> {
        func bad(_ why: String) -> JobQueueError { JobQueueError(.invalidSchedule, "cron expression '\(text)': \(name) field '\(field)' \(why)") }
        func value(_ token: String) throws -> Int {
            if let number = Int(token) {
                guard range.contains(number) else { throw bad("has \(number) outside \(range.lowerBound)-\(range.upperBound)") }
                return number
            }
            if let index = names.firstIndex(of: token.lowercased()) { return index + (range.lowerBound == 1 ? 1 : 0) }
            throw bad("has '\(token)', which is not a number\(names.isEmpty ? "" : " or a name")")
        }
        var result = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            guard !part.isEmpty else { throw bad("has an empty list item") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2 else { throw bad("has more than one '/'") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed >= 1 else { throw bad("has step '\(pieces[1])'; a step is a whole number of at least 1") }
                step = parsed
            }
            let lower: Int, upper: Int
            if pieces[0] == "*" || pieces[0] == "?" {
                (lower, upper) = (range.lowerBound, range.upperBound)
            } else if let dash = pieces[0].firstIndex(of: "-") {
                lower = try value(String(pieces[0][..<dash]))
                upper = try value(String(pieces[0][pieces[0].index(after: dash)...]))
                guard lower <= upper else { throw bad("has range \(lower)-\(upper), which runs backwards") }
            } else {
                lower = try value(pieces[0])
                upper = pieces.count == 2 ? range.upperBound : lower
            }
            result.formUnion(stride(from: lower, through: upper, by: step))
        }
        return result
    }

    private static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    private func dayMatches(_ day: Int, _ weekday: Int) -> Bool {
        switch (daysOfMonthRestricted, daysOfWeekRestricted) {
        case (true, true): return daysOfMonth.contains(day) || daysOfWeek.contains(weekday)
        case (true, false): return daysOfMonth.contains(day)
        case (false, true): return daysOfWeek.contains(weekday)
        case (false, false): return true
        }
    }

    /// The first time strictly after `date` that the expression fires, or nil if none within
    /// eight years (an impossible date such as 30 February).
    public func next(after date: Date) -> Date? {
        let calendar = Self.calendar
        var t = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(1))
        let limit = (t.year ?? 0) + 8
        while let year = t.year, year <= limit {
            guard let month = t.month, let day = t.day, let hour = t.hour, let minute = t.minute, let second = t.second else { return nil }
            if !months.contains(month) {
                t = DateComponents(year: month == 12 ? year + 1 : year, month: month == 12 ? 1 : month + 1, day: 1, hour: 0, minute: 0, second: 0)
                continue
            }
            guard let probe = calendar.date(from: DateComponents(year: year, month: month, day: day)),
                  calendar.component(.month, from: probe) == month else {
                t = DateComponents(year: month == 12 ? year + 1 : year, month: month == 12 ? 1 : month + 1, day: 1, hour: 0, minute: 0, second: 0)
                continue
            }
            if !dayMatches(day, calendar.component(.weekday, from: probe) - 1) {
                t = startOfNext(calendar, of: probe, adding: .day)
                continue
            }
            if !hours.contains(hour) {
                t = startOfNext(calendar, of: probe.addingTimeInterval(Double(hour) * 3600), adding: .hour)
                continue
            }
            if !minutes.contains(minute) {
                t = startOfNext(calendar, of: probe.addingTimeInterval(Double(hour * 3600 + minute * 60)), adding: .minute)
                continue
            }
            if !seconds.contains(second) {
                t = startOfNext(calendar, of: probe.addingTimeInterval(Double(hour * 3600 + minute * 60 + second)), adding: .second)
                continue
            }
            return calendar.date(from: t)
        }
        return nil
    }

    private func startOfNext(_ calendar: Calendar, of start: Date, adding unit: Calendar.Component) -> DateComponents {
        let moved = calendar.date(byAdding: unit, value: 1, to: start) ?? start.addingTimeInterval(1)
        return calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: moved)
    }

    /// The latest firing time in `(after, upTo]`, or nil if none. Looks back at most a day, so a
    /// long outage enqueues one catch-up tick, not thousands.
    public func latestFiring(after: Date, upTo now: Date) -> Date? {
        var cursor = max(after, now.addingTimeInterval(-86_400))
        var latest: Date?
        while let fire = next(after: cursor), fire <= now {
            latest = fire
            cursor = fire
        }
        return latest
    }
}
