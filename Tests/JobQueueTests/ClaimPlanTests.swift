@testable import JobQueue
import Postgres
import Testing
import TestSupport

struct ClaimPlanTests {
    /// The table was vacuumed nearly empty and a worker ran its statements many times while its
    /// queue was empty, which is when PostgreSQL settles on cached plans; then a backlog
    /// arrives. On a session set up as the worker's are, each statement must still read about
    /// as many rows of `jobs` as it handles, not the whole backlog (the claim's plans, cached
    /// or not, read or joined all of it).
    @Test("after many runs on an empty queue, the worker's statements read the jobs they handle, not the whole backlog")
    func statementsReadWhatTheyHandle() async throws {
        try await QueueFixture.with("claim_plan") { fixture in
            let reads = try await fixture.connection.run { connection in
                try connection.useSettings(WorkerStatements.sessionSettings)
                let worker = try WorkerStatements.register(host: "test", pid: 1, queues: ["default": 64], reuse: nil, on: connection)
                // What autovacuum records after a backlog drained: the table's pages, nearly
                // all of their rows gone, so the statistics say a page holds almost no job.
                try connection.execute("INSERT INTO jobs (queue, kind) SELECT 'other', 'noop' FROM generate_series(1, 3000)")
                try connection.execute("DELETE FROM jobs WHERE id < (SELECT max(id) FROM jobs)")
                try connection.simpleQuery(unsafeSQL: "VACUUM ANALYZE jobs")
                for _ in 0..<12 {
                    _ = try Self.claim(worker, on: connection)
                    _ = try WorkerStatements.complete([1], worker: worker, retain: false, on: connection)
                    _ = try WorkerStatements.change([Self.failure(1)], worker: worker, on: connection)
                    _ = try WorkerStatements.heartbeat(worker: worker, inFlight: 0, lease: .seconds(30), on: connection)
                    _ = try ScheduledJobPromoter.promote(on: connection)
                    _ = try LeaseRescuer.rescue(on: connection)
                    try RetentionCleaner.deleteFinished(retainCompleted: .zero, retainDead: .zero, on: connection)
                }
                try connection.execute("INSERT INTO jobs (kind) SELECT 'noop' FROM generate_series(1, 5000)")

                var reads: [String: Int] = [:]
                var claimed = 0
                reads["claim"] = try await rowsRead(of: "jobs", on: connection) { claimed = try Self.claim(worker, on: $0).count }
                if claimed != 64 { reads["claim"] = -1 }
                let leased = try Self.claim(worker, on: connection)
                reads["complete"] = try await rowsRead(of: "jobs", on: connection) {
                    _ = try WorkerStatements.complete(Array(leased[..<32]), worker: worker, retain: false, on: $0)
                }
                reads["change"] = try await rowsRead(of: "jobs", on: connection) {
                    _ = try WorkerStatements.change(leased[32...].map(Self.failure), worker: worker, on: $0)
                }
                reads["heartbeat"] = try await rowsRead(of: "jobs", on: connection) {
                    _ = try WorkerStatements.heartbeat(worker: worker, inFlight: 64, lease: .seconds(30), on: $0)
                }
                reads["promote scheduled"] = try await rowsRead(of: "jobs", on: connection) { _ = try ScheduledJobPromoter.promote(on: $0) }
                reads["rescue expired leases"] = try await rowsRead(of: "jobs", on: connection) { _ = try LeaseRescuer.rescue(on: $0) }
                reads["delete finished"] = try await rowsRead(of: "jobs", on: connection) {
                    try RetentionCleaner.deleteFinished(retainCompleted: .zero, retainDead: .zero, on: $0)
                }
                return reads
            }
            #expect(reads.count == 7)
            for (statement, read) in reads.sorted(by: { $0.key < $1.key }) {
                #expect((0..<1_000).contains(read), "\(statement) read \(read) rows of jobs (5,000 waiting, 64 leased)")
            }
        }
    }

    private static func claim(_ worker: Int64, on connection: isolated PostgresConnection) throws -> [Int64] {
        try WorkerStatements.claim(queue: "default", limit: 64, worker: worker, lease: .seconds(30), on: connection).map(\.id)
    }

    private static func failure(_ id: Int64) -> WorkerStatements.Change {
        .init(id: id, action: .fail, delay: .seconds(1), error: "x")
    }
}
