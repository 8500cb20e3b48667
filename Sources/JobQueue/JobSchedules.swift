public import Postgres
import Foundation

/// Periodic jobs: a row in `job_schedules` per schedule. The leader enqueues each tick once.
public enum JobSchedules {
    /// Creates or updates schedule `name`. A schedule created now first fires at its next tick.
    public static func upsert<A>(name: String, cron: String, _ kind: JobKind<A>, _ args: A,
                                 queue: String = "default", priority: Int16 = 0,
                                 on connection: isolated PostgresConnection) throws {
        _ = try CronExpression(cron)
        guard !name.isEmpty else { throw JobQueueError(.invalidSchedule, "a schedule needs a name") }
        let json = try JobCoding.encode(args)
        try connection.execute("""
            INSERT INTO job_schedules (name, cron, queue, kind, args, priority, max_attempts)
            VALUES (\(name), \(cron), \(queue), \(kind.name), \(json)::jsonb, \(Int(priority))::smallint, \(kind.maxAttempts))
            ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, queue = excluded.queue, kind = excluded.kind,
                args = excluded.args, priority = excluded.priority, max_attempts = excluded.max_attempts
            """)
    }

    /// Removes schedule `name`; returns whether it existed.
    @discardableResult
    public static func remove(name: String, on connection: isolated PostgresConnection) throws -> Bool {
        try connection.execute("DELETE FROM job_schedules WHERE name = \(name)") == 1
    }

    /// Enqueues the due tick of every enabled schedule. Each tick is claimed by moving
    /// `last_tick` forward with a compare-and-set in the same transaction as the insert, so it
    /// is enqueued exactly once however many leaders (past or present) try. Returns the number
    /// of jobs enqueued and the schedules whose expression does not parse.
    static func enqueueDueTicks(on connection: isolated PostgresConnection) async throws -> (enqueued: Int, invalid: [String: String]) {
        let rows = try connection.query("""
            SELECT name, cron, coalesce(last_tick, created_at), last_tick IS NULL, now() FROM job_schedules WHERE enabled
            """)
        var enqueued = 0
        var invalid: [String: String] = [:]
        for row in rows {
            let name = try row.decode(String.self, at: 0)
            let text = try row.decode(String.self, at: 1)
            let since = try row.decode(Date.self, at: 2)
            let never = try row.decode(Bool.self, at: 3)
            let now = try row.decode(Date.self, at: 4)
            let cron: CronExpression
            do { cron = try CronExpression(text) } catch { invalid[name] = "\(error)"; continue }
            guard let tick = cron.latestFiring(after: since, upTo: now) else { continue }
            let previous: Date? = never ? nil : since
            let inserted = try await connection.transaction { connection -> Bool in
                let claimed = try connection.execute("""
                    UPDATE job_schedules SET last_tick = \(tick)
                     WHERE name = \(name) AND last_tick IS NOT DISTINCT FROM \(previous)::timestamptz
                    """)
                guard claimed == 1 else { return false }
                try connection.execute("""
                    INSERT INTO jobs (queue, kind, args, priority, max_attempts, metadata)
                    SELECT queue, kind, args, priority, max_attempts,
                           jsonb_build_object('schedule', name, 'tick', \(tick)::timestamptz)
                      FROM job_schedules WHERE name = \(name)
                    """)
                return true
            }
            if inserted { enqueued += 1 }
        }
        return (enqueued, invalid)
    }
}
