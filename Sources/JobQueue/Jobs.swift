public import Postgres
import Foundation

/// Enqueueing jobs. Every function takes the connection it runs on, so a job can be enqueued
/// inside the caller's transaction and exists only if that transaction commits:
///
/// ```swift
/// try await connection.transaction { connection in
///     try connection.execute("UPDATE orders SET …")
///     try Jobs.enqueue(Kinds.sendReceipt, ReceiptArgs(orderID: 42), on: connection)
/// }
/// ```
public enum Jobs {
    /// The channel workers LISTEN on; the payload is a queue name.
    public static let wakeChannel = "switchboard_jobs"

    /// Rows per INSERT statement when enqueueing many.
    static let insertChunk = 5_000

    /// Enqueues one job. A duplicate unique key is reported, not thrown.
    @discardableResult
    public static func enqueue<A>(_ kind: JobKind<A>, _ args: A, _ options: JobOptions = .init(),
                                  on connection: isolated PostgresConnection) throws -> EnqueueOutcome {
        try enqueue(try NewJob(kind, args, options), on: connection)
    }

    /// Enqueues one prepared job.
    @discardableResult
    public static func enqueue(_ job: NewJob, on connection: isolated PostgresConnection) throws -> EnqueueOutcome {
        try validate(job)
        let options = job.options
        let result = try connection.query("""
            INSERT INTO jobs (queue, kind, args, metadata, state, priority, run_at, max_attempts, unique_key)
            SELECT \(options.queue), \(job.kind), \(job.args)::jsonb, \(job.metadataJSON)::jsonb,
                   CASE WHEN r > now() THEN 'scheduled' ELSE 'available' END,
                   \(Int(options.priority))::smallint, r, \(job.maxAttempts), \(options.uniqueKey)
              FROM (SELECT coalesce(\(options.runAt)::timestamptz, now()) AS r) AS t
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
            DO NOTHING
            RETURNING id
            """)
        if let id = try result.first?.decode(Int64.self, at: 0) {
            JobMetrics.shared.enqueued(queue: options.queue, 1)
            return .enqueued(id)
        }
        return .duplicate(uniqueKey: options.uniqueKey ?? "")
    }

    /// Enqueues many jobs with one `INSERT … SELECT FROM unnest(…)` per 5,000, returning an
    /// outcome per job in order. Within the batch, the first job with a unique key wins.
    @discardableResult
    public static func enqueue(many jobs: [NewJob], on connection: isolated PostgresConnection) throws -> [EnqueueOutcome] {
        var outcomes: [EnqueueOutcome] = []
        outcomes.reserveCapacity(jobs.count)
        var start = 0
        while start < jobs.count {
            let chunk = jobs[start..<min(start + insertChunk, jobs.count)]
            outcomes += try insertChunk(Array(chunk), on: connection)
            start += insertChunk
        }
        return outcomes
    }

    private static func insertChunk(_ jobs: [NewJob], on connection: isolated PostgresConnection) throws -> [EnqueueOutcome] {
        for job in jobs { try validate(job) }
        if let uniform = try uniformInsert(jobs, on: connection) { return uniform }
        var queues: [String] = [], kinds: [String] = [], args: [String] = [], metadata: [String] = []
        var priorities: [Int64] = [], runAtMicros: [Int64] = [], attempts: [Int64] = [], keys: [String] = []
        for job in jobs {
            queues.append(job.options.queue)
            kinds.append(job.kind)
            args.append(job.args)
            metadata.append(job.metadataJSON)
            priorities.append(Int64(job.options.priority))
            runAtMicros.append(job.options.runAt.map { Int64(($0.timeIntervalSince1970 * 1_000_000).rounded()) } ?? 0)
            attempts.append(Int64(job.maxAttempts))
            keys.append(job.options.uniqueKey ?? "")
        }
        // run_at travels as epoch microseconds (0 = now) and unique keys as '' for none, so every
        // column is a plain array. unnest yields rows in array order and INSERT … RETURNING
        // returns them in the order inserted, which the mapping below relies on.
        let result = try connection.query("""
            INSERT INTO jobs (queue, kind, args, metadata, state, priority, run_at, max_attempts, unique_key)
            SELECT q, k, a::jsonb, m::jsonb,
                   CASE WHEN r > now() THEN 'scheduled' ELSE 'available' END, p::smallint, r, ma, nullif(u, '')
              FROM (SELECT q, k, a, m, p, ma, u,
                           CASE WHEN us = 0 THEN now() ELSE to_timestamp(us / 1e6) END AS r
                      FROM unnest(\(queues)::text[], \(kinds)::text[], \(args)::text[], \(metadata)::text[],
                                  \(priorities)::int8[], \(runAtMicros)::int8[], \(attempts)::int8[], \(keys)::text[])
                           AS t(q, k, a, m, p, us, ma, u)) AS rows
            ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('scheduled', 'available', 'running')
            DO NOTHING
            RETURNING id, coalesce(unique_key, '')
            """)
        // Rows come back in insertion order; keyed rows are matched by key, the rest in turn.
        var keyed: [String: Int64] = [:]
        var unkeyed: [Int64] = []
        unkeyed.reserveCapacity(result.count)
        for row in result {
            let id = try row.decode(Int64.self, at: 0)
            let key = try row.decode(String.self, at: 1)
            if key.isEmpty { unkeyed.append(id) } else { keyed[key] = id }
        }
        var nextUnkeyed = 0
        let outcomes: [EnqueueOutcome] = jobs.map { job in
            guard let key = job.options.uniqueKey, !key.isEmpty else {
                defer { nextUnkeyed += 1 }
                return .enqueued(unkeyed[nextUnkeyed])
            }
            if let id = keyed.removeValue(forKey: key) { return .enqueued(id) }
            return .duplicate(uniqueKey: key)
        }
        var perQueue: [String: Int] = [:]
        for (job, outcome) in zip(jobs, outcomes) where outcome.id != nil { perQueue[job.options.queue, default: 0] += 1 }
        for (queue, count) in perQueue { JobMetrics.shared.enqueued(queue: queue, count) }
        return outcomes
    }

    /// The common batch: one queue, kind, priority, run time, attempt limit and metadata, and no
    /// unique keys. Only the arguments travel per row. Returns nil for any other batch.
    private static func uniformInsert(_ jobs: [NewJob], on connection: isolated PostgresConnection) throws -> [EnqueueOutcome]? {
        guard let first = jobs.first, first.options.uniqueKey == nil else { return nil }
        let options = first.options
        for job in jobs.dropFirst() {
            let other = job.options
            guard job.kind == first.kind, other.queue == options.queue, other.priority == options.priority,
                  other.runAt == options.runAt, job.maxAttempts == first.maxAttempts, other.uniqueKey == nil,
                  job.metadataJSON == first.metadataJSON else { return nil }
        }
        let result = try connection.query("""
            INSERT INTO jobs (queue, kind, args, metadata, state, priority, run_at, max_attempts)
            SELECT \(options.queue), \(first.kind), a::jsonb, \(first.metadataJSON)::jsonb,
                   CASE WHEN r > now() THEN 'scheduled' ELSE 'available' END, \(Int(options.priority))::smallint, r, \(first.maxAttempts)
              FROM unnest(\(jobs.map(\.args))::text[]) AS t(a),
                   (SELECT coalesce(\(options.runAt)::timestamptz, now()) AS r) AS at
            RETURNING id
            """)
        guard result.count == jobs.count else {
            throw JobQueueError(.unexpected, "enqueue inserted \(result.count) of \(jobs.count) jobs")
        }
        let outcomes = try result.map { EnqueueOutcome.enqueued(try $0.decode(Int64.self, at: 0)) }
        JobMetrics.shared.enqueued(queue: options.queue, outcomes.count)
        return outcomes
    }

    private static func validate(_ job: NewJob) throws {
        let queue = job.options.queue
        guard !queue.isEmpty, queue.utf8.count <= 100 else {
            throw JobQueueError(.invalidJob, "queue name must be 1 to 100 bytes, got \(queue.utf8.count)")
        }
        guard !job.kind.isEmpty else { throw JobQueueError(.invalidJob, "job kind must not be empty") }
        guard job.maxAttempts >= 1 else { throw JobQueueError(.invalidJob, "max attempts must be at least 1, got \(job.maxAttempts)") }
        if let key = job.options.uniqueKey, key.isEmpty { throw JobQueueError(.invalidJob, "a unique key must not be empty (use nil for none)") }
    }
}

/// A job-queue operation refused or failed: a code to switch on, and a message that says why.
public struct JobQueueError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// A job to enqueue is not valid (queue name, kind, attempts, unique key, arguments).
        case invalidJob
        /// A cron expression or schedule is not valid.
        case invalidSchedule
        /// A worker's configuration is not valid.
        case invalidConfiguration
        /// No job has the id.
        case noSuchJob
        /// The job's state does not allow the operation.
        case wrongState
        /// The database did something the queue cannot account for.
        case unexpected
    }

    public let code: Code
    public let description: String
    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
