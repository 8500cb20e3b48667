import Foundation
import JobQueue
import Migrations
import MetricsTestKit
import Postgres
import Synchronization
import Testing
import TestSupport

/// A fresh schema with the queue's tables, and helpers to run workers against it.
struct QueueFixture {
    let schema: TestSchema
    let connection: PostgresConnection

    static func make(_ label: String) async throws -> QueueFixture {
        let schema = try await TestDatabase.freshSchema(label)
        let connection = try await schema.connect()
        try await schema.migrate()
        return QueueFixture(schema: schema, connection: connection)
    }

    func tearDown() async throws {
        await connection.close()
        try await schema.drop()
    }

    /// Runs `body` with a fixture, tearing it down afterwards whatever happens.
    static func with(_ label: String, _ body: (QueueFixture) async throws -> Void) async throws {
        let fixture = try await make(label)
        var failure: (any Error)?
        do { try await body(fixture) } catch { failure = error }
        try await fixture.tearDown()
        if let failure { throw failure }
    }

    func count(_ sql: String) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: sql)).scalar(Int.self)
    }

    func enqueue<A>(_ kind: JobKind<A>, _ args: A, _ options: JobOptions = .init()) async throws -> Int64 {
        let job = try NewJob(kind, args, options)
        let outcome = try await connection.run { connection in try Jobs.enqueue(job, on: connection) }
        guard let id = outcome.id else { throw TimedOut(description: "enqueue was skipped as a duplicate") }
        return id
    }

    /// Starts an in-process worker; stop it with ``RunningWorker/stop()``.
    func startWorker(_ registry: JobRegistry, queues: [String: Int] = ["default": 4], metrics: TestMetrics? = nil,
                     configure: (inout JobWorkerConfiguration) -> Void = { _ in }) -> RunningWorker {
        var configuration = JobWorkerConfiguration(queues: queues)
        configuration.pollInterval = .milliseconds(200)
        configure(&configuration)
        let worker = JobWorker(database: schema.configuration, configuration: configuration, registry: registry, metricsFactory: metrics)
        return RunningWorker(worker: worker, task: Task { try await worker.run() })
    }
}

struct RunningWorker {
    let worker: JobWorker
    let task: Task<Void, any Error>

    func stop() async throws {
        worker.beginDraining()
        try await withTimeout(.seconds(30), "worker shutdown") { try await task.value }
    }
}

/// What handlers saw, shared with the test.
final class Recorder: Sendable {
    private let entries = Mutex<[(id: Int64, attempt: Int)]>([])
    func add(_ id: Int64, _ attempt: Int) { entries.withLock { $0.append((id, attempt)) } }
    var ids: [Int64] { entries.withLock { $0.map(\.id) } }
    var count: Int { entries.withLock { $0.count } }
    var attempts: [Int] { entries.withLock { $0.map(\.attempt) } }
}

struct Numbered: Codable, Sendable, Equatable { var n: Int }
struct Nothing: Codable, Sendable {}
struct Boom: Error, CustomStringConvertible { let description: String }
