import Foundation
import JobQueue
import Testing

@Suite("Cron expressions")
struct CronExpressionTests {
    func date(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("next firing times follow the fields", arguments: [
        ("*/15 * * * *", "2026-03-01T10:07:30Z", "2026-03-01T10:15:00Z"),
        ("0 9 * * mon-fri", "2026-11-21T12:00:00Z", "2026-11-23T09:00:00Z"),  // Saturday → Monday
        ("30 2 1 * *", "2026-01-31T00:00:00Z", "2026-02-01T02:30:00Z"),
        ("0 0 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("*/2 * * * * *", "2026-03-01T10:00:01Z", "2026-03-01T10:00:02Z"),
        ("0 0 1 * 0", "2026-11-02T00:00:00Z", "2026-11-08T00:00:00Z"),      // day 1 or any Sunday
        ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
    ])
    func next(_ expression: String, _ after: String, _ expected: String) throws {
        #expect(try CronExpression(expression).next(after: date(after)) == date(expected))
    }

    @Test("malformed expressions are refused with the field named", arguments: [
        ("* * * *", "4 fields"), ("60 * * * *", "minute field"), ("* 24 * * *", "hour field"),
        ("*/0 * * * *", "step"), ("5-1 * * * *", "backwards"), ("* * * foo *", "month field"), ("1,,2 * * * *", "empty"),
    ])
    func malformed(_ expression: String, _ mention: String) {
        #expect {
            _ = try CronExpression(expression)
        } throws: { error in
            "\(error)".contains(mention)
        }
    }

    @Test("the latest firing after a long gap is one tick, not a backlog")
    func latestFiring() throws {
        let cron = try CronExpression("* * * * *")
        let fire = cron.latestFiring(after: date("2026-01-01T00:00:00Z"), upTo: date("2026-01-05T12:34:56Z"))
        #expect(fire == date("2026-01-05T12:34:00Z"))
        #expect(cron.latestFiring(after: date("2026-01-05T12:34:00Z"), upTo: date("2026-01-05T12:34:56Z")) == nil)
    }
}
