import Foundation
import Migrations
import Notify
import Postgres
import Testing
import TestSupport

@Suite("Time and fatigue: time zones, quiet hours, frequency caps")
struct TimingTests {
    @Test("quiet hours end at the local end time, across midnight and the spring DST change; a daytime window too")
    func quietUntil() async throws {
        try await TestDatabase.withConnection("quiet_until") { connection, schema in
            try await schema.migrate()
            let cases: [(zone: String, start: String, end: String, at: String, until: String?)] = [
                ("Europe/Kyiv", "21:00", "08:00", "2026-12-03 23:30+02", "2026-12-04 08:00+02"),
                ("Europe/Kyiv", "21:00", "08:00", "2026-12-04 03:30+02", "2026-12-04 08:00+02"),
                ("Europe/Kyiv", "21:00", "08:00", "2026-12-04 12:30+02", nil),
                ("Europe/Kyiv", "21:00", "08:00", "2026-12-03 21:00+02", "2026-12-04 08:00+02"),
                ("Europe/Kyiv", "21:00", "08:00", "2026-12-04 08:00+02", nil),
                // The clocks go forward at 03:00 on 29 March: 08:00 is then UTC+3.
                ("Europe/Kyiv", "21:00", "08:00", "2026-03-29 01:30+02", "2026-03-29 08:00+03"),
                ("Asia/Shanghai", "12:00", "14:00", "2026-12-04 13:30+08", "2026-12-04 14:00+08"),
                ("Asia/Shanghai", "12:00", "14:00", "2026-12-04 11:59+08", nil),
            ]
            for c in cases {
                let until = try await connection.query("""
                    SELECT notify_quiet_until(\(c.zone), \(c.start)::time, \(c.end)::time, \(c.at)::timestamptz)
                         = \(c.until)::timestamptz, notify_quiet_until(\(c.zone), \(c.start)::time, \(c.end)::time, \(c.at)::timestamptz) IS NULL
                    """).first
                if c.until == nil {
                    #expect(try until?.decode(Bool.self, at: 1) == true, "\(c)")
                } else {
                    #expect(try until?.decode(Bool?.self, at: 0) == true, "\(c)")
                }
            }
        }
    }

    @Test("order news at 23:00 in the customer's zone waits until 08:00 there, deferred with the reason, not dropped; urgent and transactional rows go at once")
    func quietHoursDefer() async throws {
        try await HTTPFixture.with("quiet_hours") { f in
            // A zone where it is now 23:xx: UTC+k, k in -12…11.
            let hour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: Date()).hour!
            let k = ((23 - hour + 36) % 24) - 12
            let zone = k == 0 ? "Etc/GMT" : k > 0 ? "Etc/GMT-\(k)" : "Etc/GMT+\(-k)"
            try await f.connection.execute("UPDATE stores SET quiet_hours_start = '21:00', quiet_hours_end = '08:00'")
            try await f.connection.execute("UPDATE customers SET time_zone = \(zone) WHERE id = \(f.customer)")

            let news = try await f.notice(purpose: "order_updates", key: "quiet:news")
            guard case .later(let wait) = try await f.send(news) else {
                Issue.record("order news in quiet hours should wait")
                return
            }
            #expect(wait > .seconds(8 * 3600 - 60) && wait <= .seconds(9 * 3600), "from 23:xx to 08:00 is 8–9 hours: \(wait)")
            let row = try await f.base.status(news)
            #expect(row.status == "pending" && row.attempts == 0)
            #expect(row.error?.hasPrefix("quiet hours 21:00–08:00 in \(zone), where it is 23:") == true, "\(row.error ?? "-")")
            #expect(try await f.connection.query("""
                SELECT to_char(send_after AT TIME ZONE \(zone), 'HH24:MI') FROM outbox WHERE id = \(news)
                """).scalar(String.self) == "08:00")
            #expect(try await f.base.events(news) == ["deferred"])
            #expect(try f.peer.requests().isEmpty)

            let urgent = try await f.connection.query("""
                INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key, urgent)
                VALUES (1, \(f.customer), 'order_update', 'order_updates', 'sms', 'uk', 'Кур''єр чекає біля дверей', 'quiet:urgent', true) RETURNING id
                """).scalar(Int64.self)
            #expect(try await f.send(urgent) == .sent)
            #expect(try await f.send(try await f.notice(purpose: "transactional", key: "quiet:transactional")) == .sent)
        }
    }

    @Test("a customer's zone is their own, else their phone's country's, else the store's; an unknown zone is refused")
    func timeZones() async throws {
        try await HTTPFixture.with("time_zones") { f in
            func zone(_ customer: Int64) async throws -> String {
                try await f.connection.query("SELECT notify_time_zone(\(customer), 1)").scalar(String.self)
            }
            #expect(try await zone(f.customer) == "Europe/Kyiv", "+380 is Ukraine")
            try await f.connection.execute("UPDATE customers SET time_zone = 'Europe/Warsaw' WHERE id = \(f.customer)")
            #expect(try await zone(f.customer) == "Europe/Warsaw")
            let american = try await f.connection.query("""
                WITH c AS (INSERT INTO customers (store_id) VALUES (1) RETURNING id)
                INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'phone', '+12025550143' FROM c
                RETURNING customer_id
                """).scalar(Int64.self)
            try await f.connection.execute("UPDATE stores SET time_zone = 'America/Chicago' WHERE id = 1")
            #expect(try await zone(american) == "America/Chicago", "+1 spans zones: the store's")
            do {
                try await f.connection.execute("UPDATE customers SET time_zone = 'Europe/Kiev ' WHERE id = \(f.customer)")
                Issue.record("an unknown zone should be refused")
            } catch let error as PostgresError {
                #expect(error.message.contains("unknown time zone") && error.hint?.contains("Europe/Kyiv") == true)
            }
        }
    }

    @Test("frequency caps: one survey a month, two marketing SMS a week; the row past a cap is suppressed, naming it")
    func caps() async throws {
        try await HTTPFixture.with("caps") { f in
            func survey(_ key: String) async throws -> Int64 {
                try await f.notice(purpose: "surveys", key: key)
            }
            #expect(try await f.send(try await survey("cap:survey:1")) == .sent)
            guard case .suppressed(let reason) = try await f.send(try await survey("cap:survey:2")) else {
                Issue.record("a second survey within 30 days should be suppressed")
                return
            }
            #expect(reason == "frequency cap 'one survey a month' reached: 1 of 1 surveys messages in the last 30 days")

            _ = try await f.connection.query("SELECT record_consent(\(f.customer), 'sms', '{marketing}', true, 'checkout')")
            for n in 1...2 { #expect(try await f.send(try await f.notice(purpose: "marketing", key: "cap:offer:\(n)")) == .sent) }
            guard case .suppressed(let third) = try await f.send(try await f.notice(purpose: "marketing", key: "cap:offer:3")) else {
                Issue.record("a third marketing SMS within a week should be suppressed")
                return
            }
            #expect(third.hasPrefix("frequency cap 'marketing by SMS' reached: 2 of 2"))
            // Order news is not capped.
            #expect(try await f.send(try await f.notice(purpose: "order_updates", key: "cap:news")) == .sent)
        }
    }
}
