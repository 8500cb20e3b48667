public import Postgres
public import Foundation

/// A snapshot of the queue for operators (`switchboard jobs status`).
public struct JobStatus: Sendable, Codable {
    public struct Queue: Sendable, Codable {
        public var name: String
        public var counts: [String: Int]
        /// Seconds the oldest available job has waited since its run time; nil when none waits.
        public var oldestAvailableAgeSeconds: Double?
        public var completedLastMinute: Int
        public var failedLastMinute: Int
        public var paused: Bool
    }

    public struct Worker: Sendable, Codable {
        public var id: Int64
        public var host: String
        public var pid: Int
        /// Queue name → concurrency.
        public var queues: [String: Int]
        public var inFlight: Int
        public var startedAt: Date
        public var heartbeatAgeSeconds: Double
        public var isLeader: Bool
    }

    public var queues: [Queue]
    public var workers: [Worker]

    /// Reads the snapshot. Counting is exact, so on a very large backlog it costs a scan of the
    /// claim index.
    public static func read(on connection: isolated PostgresConnection) throws -> JobStatus {
        var queues: [String: Queue] = [:]
        func entry(_ name: String) -> Queue {
            queues[name] ?? Queue(name: name, counts: [:], oldestAvailableAgeSeconds: nil, completedLastMinute: 0, failedLastMinute: 0, paused: false)
        }
        for row in try connection.query("""
            SELECT queue, state, count(*),
                   extract(epoch FROM now() - min(run_at) FILTER (WHERE state = 'available'))::float8
              FROM jobs GROUP BY queue, state
            """) {
            let name = try row.decode(String.self, at: 0)
            var queue = entry(name)
            queue.counts[try row.decode(String.self, at: 1)] = try row.decode(Int.self, at: 2)
            if let age = try row.decode(Double?.self, at: 3) { queue.oldestAvailableAgeSeconds = max(0, age) }
            queues[name] = queue
        }
        for row in try connection.query("""
            SELECT queue, sum(completed)::int8, sum(failed)::int8 FROM job_throughput
             WHERE bucket > now() - interval '60 seconds' GROUP BY queue
            """) {
            let name = try row.decode(String.self, at: 0)
            var queue = entry(name)
            queue.completedLastMinute = try row.decode(Int.self, at: 1)
            queue.failedLastMinute = try row.decode(Int.self, at: 2)
            queues[name] = queue
        }
        for row in try connection.query("SELECT queue FROM job_queue_pauses") {
            let name = try row.decode(String.self, at: 0)
            var queue = entry(name)
            queue.paused = true
            queues[name] = queue
        }
        return JobStatus(queues: queues.values.sorted { $0.name < $1.name }, workers: try workers(on: connection))
    }

    /// The registered worker processes alone, without counting the jobs.
    public static func workers(on connection: isolated PostgresConnection) throws -> [Worker] {
        try connection.query("""
            SELECT w.id, w.host, w.pid, w.queues::text, w.in_flight, w.started_at,
                   extract(epoch FROM now() - w.heartbeat_at)::float8,
                   coalesce(l.worker_id = w.id AND l.expires_at > now(), false)
              FROM job_workers w LEFT JOIN job_leader l ON true ORDER BY w.id
            """).map { row in
            Worker(
                id: try row.decode(Int64.self, at: 0), host: try row.decode(String.self, at: 1),
                pid: try row.decode(Int.self, at: 2),
                queues: (try? JobCoding.decode([String: Int].self, from: try row.decode(String.self, at: 3))) ?? [:],
                inFlight: try row.decode(Int.self, at: 4), startedAt: try row.decode(Date.self, at: 5),
                heartbeatAgeSeconds: try row.decode(Double.self, at: 6), isLeader: try row.decode(Bool.self, at: 7))
        }
    }
}
