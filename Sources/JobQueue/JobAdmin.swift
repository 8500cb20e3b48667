public import Postgres
import Foundation

/// What operators do to jobs and queues: status, retry, cancel, pause, resume.
public enum JobAdmin {
    /// Result of ``cancel(_:on:)``.
    public enum CancelOutcome: Sendable, Equatable {
        /// It was waiting; it is now cancelled and will not run.
        case cancelled
        /// It is running; its worker is asked to stop it at the next heartbeat.
        case stopRequested
        /// It had already finished in this state.
        case alreadyFinished(JobState)
    }

    /// Cancels a waiting job, or asks the worker running it to stop.
    public static func cancel(_ id: Int64, on connection: isolated PostgresConnection) throws -> CancelOutcome {
        let result = try connection.query("""
            WITH target AS (SELECT id, state FROM jobs WHERE id = \(id) FOR UPDATE),
            cancelled AS (
                UPDATE jobs j SET state = 'cancelled', finished_at = now()
                  FROM target
                 WHERE j.id = target.id AND target.state IN ('scheduled', 'available')
                RETURNING j.id),
            requested AS (
                UPDATE jobs j SET cancel_requested_at = now()
                  FROM target WHERE j.id = target.id AND target.state = 'running'
                RETURNING j.id)
            SELECT target.state FROM target
            """)
        guard let state = try result.first.map({ try $0.decode(String.self, at: 0) }) else {
            throw JobQueueError(.noSuchJob, "no job with id \(id)")
        }
        switch JobState(rawValue: state) {
        case .scheduled?, .available?: return .cancelled
        case .running?: return .stopRequested
        case let finished?: return .alreadyFinished(finished)
        case nil: throw JobQueueError(.unexpected, "job \(id) is in an unknown state '\(state)'")
        }
    }

    /// Makes a dead, cancelled, scheduled or retained completed job available now, with its
    /// attempt count reset (its error history is kept).
    public static func retry(_ id: Int64, on connection: isolated PostgresConnection) throws {
        let state: String
        do {
            let result = try connection.query("""
                WITH before AS (SELECT id, state FROM jobs WHERE id = \(id) FOR UPDATE),
                changed AS (
                    UPDATE jobs j SET state = 'available', attempt = 0, run_at = now(), finished_at = NULL,
                           cancel_requested_at = NULL
                      FROM before
                     WHERE j.id = before.id AND before.state IN ('dead', 'cancelled', 'completed', 'scheduled')
                    RETURNING j.queue),
                woken AS (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM changed)
                SELECT before.state, (SELECT count(*) FROM woken) FROM before
                """)
            guard let row = result.first else { throw JobQueueError(.noSuchJob, "no job with id \(id)") }
            state = try row.decode(String.self, at: 0)
        } catch let error as PostgresError where error.isUniqueViolation {
            throw JobQueueError(.wrongState, "job \(id) cannot be retried: another live job holds its unique key")
        }
        switch state {
        case "dead", "cancelled", "completed", "scheduled": return
        case "available": throw JobQueueError(.wrongState, "job \(id) is already available")
        case "running": throw JobQueueError(.wrongState, "job \(id) is running")
        default: throw JobQueueError(.wrongState, "job \(id) is in state \(state) and cannot be retried")
        }
    }

    /// Makes every dead job of `queue` available again; returns how many. Dead jobs whose unique
    /// key is held by a live job are left dead.
    public static func retryDead(queue: String, on connection: isolated PostgresConnection) throws -> Int {
        let result = try connection.query("""
            WITH changed AS (
                UPDATE jobs j SET state = 'available', attempt = 0, run_at = now(), finished_at = NULL
                 WHERE j.queue = \(queue) AND j.state = 'dead'
                   AND (j.unique_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM jobs l WHERE l.unique_key = j.unique_key
                           AND l.state IN ('scheduled', 'available', 'running')))
                RETURNING j.id),
            woken AS (SELECT pg_notify(\(Jobs.wakeChannel), \(queue)) WHERE EXISTS (SELECT 1 FROM changed))
            SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM woken)
            """)
        return Int(try result.scalar(Int64.self))
    }

    /// Stops workers claiming from `queue` (running jobs finish). Returns false if already paused.
    @discardableResult
    public static func pause(queue: String, on connection: isolated PostgresConnection) throws -> Bool {
        try connection.execute("INSERT INTO job_queue_pauses (queue) VALUES (\(queue)) ON CONFLICT DO NOTHING") == 1
    }

    /// Lets workers claim from `queue` again and wakes them. Returns false if it was not paused.
    @discardableResult
    public static func resume(queue: String, on connection: isolated PostgresConnection) throws -> Bool {
        let result = try connection.query("""
            WITH resumed AS (DELETE FROM job_queue_pauses WHERE queue = \(queue) RETURNING queue)
            SELECT count(*), (SELECT count(*) FROM (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM resumed) n) FROM resumed
            """)
        return try result.scalar(Int64.self) == 1
    }

    /// Jobs of `queue` in the table now, in any of `states` (nil: any state).
    public static func count(queue: String, states: [JobState]? = nil, on connection: isolated PostgresConnection) throws -> Int {
        try connection.query("""
            SELECT count(*) FROM jobs WHERE queue = \(queue) AND (\(states)::text[] IS NULL OR state = ANY (\(states)::text[]))
            """).scalar(Int.self)
    }

    /// Jobs of `queue` completed within the last hour, from the per-minute counts the workers keep.
    public static func completedLastHour(queue: String, on connection: isolated PostgresConnection) throws -> Int {
        try connection.query("""
            SELECT coalesce(sum(completed), 0)::int8 FROM job_throughput WHERE queue = \(queue) AND bucket >= now() - interval '1 hour'
            """).scalar(Int.self)
    }

    /// Completions and failures of one minute.
    public struct Minute: Sendable, Equatable {
        /// Whole minutes before now: 0 is the current minute, 59 the oldest kept.
        public var minutesAgo: Int
        public var completed: Int
        public var failed: Int
    }

    /// Each queue's completions and failures per minute over the last hour (minutes without any
    /// are left out), from the counts the workers keep.
    public static func throughputByMinute(on connection: isolated PostgresConnection) throws -> [String: [Minute]] {
        var minutes: [String: [Minute]] = [:]
        for row in try connection.query("""
            SELECT queue, floor(extract(epoch FROM now() - bucket) / 60)::int4 AS ago, sum(completed)::int8, sum(failed)::int8
              FROM job_throughput WHERE bucket > now() - interval '60 minutes'
             GROUP BY 1, 2 ORDER BY 1, 2 DESC
            """) {
            let minute = Minute(minutesAgo: max(0, try row.decode(Int.self, at: 1)), completed: try row.decode(Int.self, at: 2),
                                failed: try row.decode(Int.self, at: 3))
            minutes[try row.decode(String.self, at: 0), default: []].append(minute)
        }
        return minutes
    }

    /// Worker processes registered now (a worker deregisters when it stops gracefully; the leader
    /// removes one that went silent).
    public static func registeredWorkers(on connection: isolated PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM job_workers").scalar(Int.self)
    }

    /// One job's stored record.
    public struct JobRecord: Sendable {
        public var id: Int64, queue: String, kind: String, state: JobState
        public var attempt: Int, maxAttempts: Int
        public var errors: String
        public var lockedBy: Int64?
    }

    /// The stored record of job `id`, or nil.
    public static func job(_ id: Int64, on connection: isolated PostgresConnection) throws -> JobRecord? {
        let result = try connection.query("""
            SELECT id, queue, kind, state, attempt, max_attempts, errors::text AS errors, locked_by FROM jobs WHERE id = \(id)
            """)
        return try result.first.map { row in
            JobRecord(id: try row.decode(Int64.self, "id"), queue: try row.decode(String.self, "queue"),
                      kind: try row.decode(String.self, "kind"), state: try row.decode(JobState.self, "state"),
                      attempt: try row.decode(Int.self, "attempt"), maxAttempts: try row.decode(Int.self, "max_attempts"),
                      errors: try row.decode(String.self, "errors"), lockedBy: try row.decode(Int64?.self, "locked_by"))
        }
    }
}
