import Postgres
import Foundation

/// The statements a worker runs, each one round trip.
enum WorkerStatements {
    /// Run by every connection of the queue's own (claims, outcomes, heartbeats, the leader's
    /// upkeep) when it opens. Handlers use connections of their own, without it.
    ///
    /// The queue swings between empty and a backlog, and its statistics lag behind: after a
    /// backlog drained, vacuum records pages of `jobs` holding almost no row. A plan made from
    /// that (cached or fresh) expects one job where thousands wait: it read the whole table to
    /// pick a few, or joined the picked jobs to all of it, once per picked job. Measured with 4
    /// routing processes draining 20,000 jobs: 200–460 ms a claim, throughput down to a third.
    /// So these sessions never read `jobs` sequentially (every statement has an index for what
    /// it reads); statements that pick rows and then change them find the picked rows by their
    /// physical address (`ctid = ANY (ARRAY(…))`, a TID scan) rather than by a join; the others
    /// name their jobs' ids as an array. Under those rules no plan's shape depends on the
    /// statistics, so the statements keep their cached plans. `ClaimPlanTests` reproduces the
    /// statistics and counts what each statement reads.
    ///
    /// JIT goes off too: a plan that must still read a small table sequentially (the leader's
    /// lease row) carries the cost penalty that disabling sequential scans adds, far above JIT's
    /// threshold, and compiling it took 80–230 ms a run (measured).
    ///
    /// Through a transaction pooler they are made in every transaction instead
    /// (``PostgresConnection/useSettings(_:)``).
    static let sessionSettings: [(name: String, value: String)] = [("enable_seqscan", "off"), ("jit", "off")]

    static func register(host: String, pid: Int32, queues: [String: Int], reuse id: Int64?,
                         on connection: isolated PostgresConnection) throws -> Int64 {
        let queuesJSON = try JobCoding.encode(queues)
        if let id {
            let result = try connection.query("""
                INSERT INTO job_workers (id, host, pid, queues) OVERRIDING SYSTEM VALUE
                VALUES (\(id), \(host), \(Int(pid)), \(queuesJSON)::jsonb)
                ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()
                RETURNING id
                """)
            return try result.scalar(Int64.self)
        }
        let result = try connection.query("""
            INSERT INTO job_workers (host, pid, queues) VALUES (\(host), \(Int(pid)), \(queuesJSON)::jsonb) RETURNING id
            """)
        return try result.scalar(Int64.self)
    }

    /// Claims up to `limit` available jobs of `queue` (none while the queue is paused), in
    /// priority → run_at → id order, and leases them to `worker`.
    ///
    /// The picked rows stay where they are until the update: the statement holds their locks; a
    /// row another transaction changed meanwhile is not updated and stays for the next claim.
    /// Why by address: ``sessionSettings``.
    static func claim(queue: String, limit: Int, worker: Int64, lease: Duration,
                      on connection: isolated PostgresConnection) throws -> [ClaimedJob] {
        let result = try connection.query("""
            WITH picked AS (
                SELECT ctid FROM jobs
                 WHERE state = 'available' AND queue = \(queue)
                   AND NOT EXISTS (SELECT 1 FROM job_queue_pauses WHERE queue = \(queue))
                 ORDER BY priority, run_at, id
                 LIMIT \(limit)
                 FOR UPDATE SKIP LOCKED)
            UPDATE jobs j SET state = 'running', attempt = j.attempt + 1, locked_by = \(worker),
                   locked_until = now() + \(lease.wholeMilliseconds) * interval '1 millisecond', attempted_at = now()
             WHERE j.ctid = ANY (ARRAY(SELECT ctid FROM picked))
            RETURNING j.id, j.kind, j.args::text, j.metadata::text, j.attempt, j.max_attempts, j.priority, j.run_at, j.created_at
            """)
        var jobs: [ClaimedJob] = []
        jobs.reserveCapacity(result.count)
        for row in result {
            jobs.append(ClaimedJob(
                id: try row.decode(Int64.self, at: 0), queue: queue, kind: try row.decode(String.self, at: 1),
                args: try row.decode(String.self, at: 2), metadata: try row.decode(String.self, at: 3),
                attempt: try row.decode(Int.self, at: 4), maxAttempts: try row.decode(Int.self, at: 5),
                priority: try row.decode(Int.self, at: 6), runAt: try row.decode(Date.self, at: 7),
                createdAt: try row.decode(Date.self, at: 8)))
        }
        // Rows come back in update order; run them in claim order.
        jobs.sort { ($0.priority, $0.runAt, $0.id) < ($1.priority, $1.runAt, $1.id) }
        return jobs
    }

    /// Deletes (or, with retention, marks completed) jobs still leased to `worker`, counting them
    /// per queue. Returns the ids actually completed: a job whose lease was lost is not touched.
    static func complete(_ ids: [Int64], worker: Int64, retain: Bool,
                         on connection: isolated PostgresConnection) throws -> Set<Int64> {
        // Only the verb differs; the statement text is fixed per variant, values are parameters.
        let verb = retain
            ? """
              UPDATE jobs SET state = 'completed', finished_at = now(), locked_by = NULL, locked_until = NULL
               WHERE id = ANY(\(ids)::int8[]) AND locked_by = \(worker) AND state = 'running'
              RETURNING id, queue
              """ as PostgresQuery
            : """
              DELETE FROM jobs WHERE id = ANY(\(ids)::int8[]) AND locked_by = \(worker) AND state = 'running'
              RETURNING id, queue
              """
        let query: PostgresQuery = """
            WITH done AS (\(subquery: verb)),
            counted AS (
                INSERT INTO job_throughput (bucket, queue, worker_id, completed)
                SELECT date_bin('10 seconds', now(), timestamptz 'epoch'), queue, \(worker), count(*) FROM done GROUP BY queue
                ON CONFLICT (bucket, queue, worker_id) DO UPDATE SET completed = job_throughput.completed + excluded.completed)
            SELECT id FROM done
            """
        return Set(try connection.query(query).map { try $0.decode(Int64.self, at: 0) })
    }

    /// One row per non-completed outcome.
    struct Change {
        enum Action: String { case fail, discard, snooze, cancel, release }
        let id: Int64
        let action: Action
        let delay: Duration
        let error: String
    }

    /// Writes failures, snoozes, cancellations and releases; wakes workers for jobs that became
    /// available. Returns id → new state for the jobs still leased to `worker`.
    static func change(_ changes: [Change], worker: Int64, on connection: isolated PostgresConnection) throws -> [Int64: String] {
        let ids = changes.map(\.id), actions = changes.map(\.action.rawValue)
        let delays = changes.map(\.delay.wholeMilliseconds), errors = changes.map(\.error)
        let result = try connection.query("""
            WITH f AS (SELECT * FROM unnest(\(ids)::int8[], \(actions)::text[], \(delays)::int8[], \(errors)::text[])
                                AS f(id, action, delay_ms, error)),
            changed AS (
                UPDATE jobs j SET
                    state = CASE
                        WHEN f.action = 'fail' AND j.attempt >= j.max_attempts THEN 'dead'
                        WHEN f.action IN ('fail', 'snooze') THEN 'scheduled'
                        WHEN f.action = 'discard' THEN 'dead'
                        WHEN f.action = 'cancel' THEN 'cancelled'
                        ELSE 'available' END,
                    attempt = CASE WHEN f.action IN ('snooze', 'release') THEN j.attempt - 1 ELSE j.attempt END,
                    run_at = CASE WHEN f.action IN ('fail', 'snooze') THEN now() + f.delay_ms * interval '1 millisecond' ELSE j.run_at END,
                    errors = CASE WHEN f.error = '' THEN j.errors ELSE j.errors || jsonb_build_array(jsonb_build_object(
                        'attempt', j.attempt, 'at', now(), 'error', f.error, 'worker_id', \(worker)::int8)) END,
                    finished_at = CASE WHEN f.action IN ('discard', 'cancel') OR (f.action = 'fail' AND j.attempt >= j.max_attempts)
                                       THEN now() END,
                    locked_by = NULL, locked_until = NULL, cancel_requested_at = NULL
                  FROM f
                 -- The ids again as an array: an index lookup whatever the statistics say (sessionSettings).
                 WHERE j.id = f.id AND j.id = ANY (\(ids)::int8[]) AND j.locked_by = \(worker) AND j.state = 'running'
                RETURNING j.id, j.queue, j.state, f.action),
            counted AS (
                INSERT INTO job_throughput (bucket, queue, worker_id, failed)
                SELECT date_bin('10 seconds', now(), timestamptz 'epoch'), queue, \(worker), count(*)
                  FROM changed WHERE action IN ('fail', 'discard') GROUP BY queue
                ON CONFLICT (bucket, queue, worker_id) DO UPDATE SET failed = job_throughput.failed + excluded.failed),
            woken AS (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM (SELECT DISTINCT queue FROM changed WHERE state = 'available') q)
            SELECT id, state FROM changed, (SELECT count(*) FROM woken) AS w
            """)
        var states: [Int64: String] = [:]
        for row in result { states[try row.decode(Int64.self, at: 0)] = try row.decode(String.self, at: 1) }
        return states
    }

    /// Extends the lease of every job leased to `worker`, records the heartbeat, and returns the
    /// ids an operator asked to stop. Returns nil when the worker's row is gone (the leader
    /// thought it dead): the caller registers again.
    static func heartbeat(worker: Int64, inFlight: Int, lease: Duration,
                          on connection: isolated PostgresConnection) throws -> [Int64]? {
        let result = try connection.query("""
            WITH me AS (UPDATE job_workers SET heartbeat_at = now(), in_flight = \(inFlight) WHERE id = \(worker) RETURNING id),
            leased AS (
                UPDATE jobs SET locked_until = now() + \(lease.wholeMilliseconds) * interval '1 millisecond'
                 WHERE locked_by = \(worker) AND state = 'running'
                RETURNING id, cancel_requested_at IS NOT NULL AS stop)
            SELECT (SELECT count(*) FROM me), coalesce((SELECT array_agg(id) FROM leased WHERE stop), '{}')
            """)
        guard let row = result.first else { return nil }
        guard try row.decode(Int64.self, at: 0) == 1 else { return nil }
        return try row.decode([Int64].self, at: 1)
    }

    static func deregister(worker: Int64, on connection: isolated PostgresConnection) throws {
        try connection.execute("DELETE FROM job_workers WHERE id = \(worker)")
        try connection.execute("UPDATE job_leader SET expires_at = '-infinity' WHERE worker_id = \(worker)")
    }
}
