import Foundation
import JobQueue
import Migrations
import Postgres
import Testing
import TestSupport

/// A `queue-test-worker` process (built alongside the tests) that tests start, signal and kill.
final class WorkerProcess: @unchecked Sendable {
    let process = Process()
    let log: URL
    let label: String

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "queue-test-worker")
    }

    init(database: String, schema: String?, queues: String = "default=10", environment extra: [String: String] = [:]) throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build the tests first (swift build --build-tests)")
        label = "qtw-\(UUID().uuidString.prefix(8).lowercased())"
        log = FileManager.default.temporaryDirectory.appending(path: "\(label).log")
        var environment = ProcessInfo.processInfo.environment
        environment["SB_DATABASE"] = database
        environment["SB_SCHEMA"] = schema
        environment["SB_QUEUES"] = queues
        environment["SB_LABEL"] = label
        environment["SB_LEASE_MS"] = "2000"
        environment["SB_LEADER_LEASE_MS"] = "2000"
        environment["SB_POLL_MS"] = "500"
        for (key, value) in extra { environment[key] = value }
        process.executableURL = Self.binary
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    func signal(_ signal: Int32) { kill(pid, signal) }
    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits for the process to exit; returns its status, or nil if it is still running at `limit`.
    func waitForExit(within limit: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Stops the process whatever state it is in (used in cleanup).
    func kill9() {
        if process.isRunning { Foundation.kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(at: log)
    }
}

/// Fault tests: real worker processes, the real server, crashes and restarts.
@Suite("Job queue under faults (real processes)")
struct FaultTests {
    static let record = JobKind<RecordArgs>("test.record")
    struct RecordArgs: Codable, Sendable { var sleepMS = 0; var failTimes = 0; var firstAttemptSleepMS: Int? }

    /// Runs `body` with a migrated schema holding a `test_runs` table, killing every worker
    /// process it started afterwards.
    static func withFixture(_ label: String, _ body: (QueueFixture, Workers) async throws -> Void) async throws {
        try await QueueFixture.with(label) { fixture in
            try await fixture.connection.execute("CREATE TABLE test_runs (job_id bigint, attempt int, pid int, at timestamptz DEFAULT clock_timestamp())")
            let workers = Workers(database: fixture.schema.base.connectionString, schema: fixture.schema.name)
            defer { workers.killAll() }
            try await body(fixture, workers)
        }
    }

    final class Workers: @unchecked Sendable {
        let database: String
        let schema: String?
        private var started: [WorkerProcess] = []
        init(database: String, schema: String?) { self.database = database; self.schema = schema }

        func start(queues: String = "default=10", _ environment: [String: String] = [:]) throws -> WorkerProcess {
            let worker = try WorkerProcess(database: database, schema: schema, queues: queues, environment: environment)
            started.append(worker)
            return worker
        }

        func killAll() { for worker in started { worker.kill9() } }
    }

    static func enqueue(_ fixture: QueueFixture, count: Int, _ args: RecordArgs, _ options: JobOptions = .init()) async throws {
        let jobs = try (0..<count).map { _ in try NewJob(record, args, options) }
        _ = try await fixture.connection.run { connection in try Jobs.enqueue(many: jobs, on: connection) }
    }

    @Test("kill -9 mid-batch: every job runs at least once and completes exactly once; nothing stays running")
    func killNineMidBatch() async throws {
        try await Self.withFixture("kill9") { fixture, workers in
            // Jobs of 100 to 180 ms keep the worker mid-batch all the time, so the kill catches
            // some: with equal durations a whole batch could finish, and its outcomes be written,
            // before the next claim (a starved CI machine hit that gap).
            let jobs = try (0..<1000).map { try NewJob(Self.record, RecordArgs(sleepMS: 100 + ($0 % 5) * 20)) }
            _ = try await fixture.connection.run { connection in try Jobs.enqueue(many: jobs, on: connection) }
            let first = try workers.start(queues: "default=20")
            try await eventually("the first worker is under way") {
                let runs = try await fixture.count("SELECT count(*) FROM test_runs")
                let running = try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'running'")
                return runs >= 100 && running > 0
            }
            // Frozen (SIGSTOP), the worker cannot finish anything: kill it only when it is frozen
            // holding jobs. On a starved machine it can sit between batches, all written, at the
            // instant a plain kill lands.
            var heldByDead = 0
            for _ in 0..<50 where heldByDead == 0 {
                first.signal(SIGSTOP)
                try await Task.sleep(for: .milliseconds(50))   // a commit already on the wire lands
                heldByDead = try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'running'")
                if heldByDead == 0 {
                    first.signal(SIGCONT)
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            first.signal(SIGKILL)
            _ = await first.waitForExit(within: .seconds(5))
            #expect(heldByDead > 0, "the kill should catch jobs mid-run")
            let second = try workers.start(queues: "default=20", ["SB_DEAD_WORKER_MS": "3000"])
            try await eventually("all jobs done", within: .seconds(60)) { try await fixture.count("SELECT count(*) FROM jobs") == 0 }
            try await eventually("the dead worker's row removed by the leader", within: .seconds(30)) {
                try await fixture.count("SELECT count(*) FROM job_workers WHERE pid = \(first.pid)") == 0
            }
            #expect(try await fixture.count("SELECT count(DISTINCT job_id) FROM test_runs") == 1000)
            #expect(try await fixture.count("SELECT sum(completed)::int FROM job_throughput") == 1000)
            #expect(try await fixture.count("SELECT count(*) FROM test_runs") >= 1000)
            second.signal(SIGTERM)
            #expect(await second.waitForExit(within: .seconds(15)) == 0)
        }
    }

    @Test("pg_ctl restart -m fast under load: workers reconnect and every job completes once")
    func serverRestart() async throws {
        let cluster = try await TestDatabase.privateCluster()
        let base = try PostgresConfiguration(cluster.connectionString)
        let connection = try await PostgresConnection.connect(base)
        try await connection.execute("CREATE SCHEMA restart_test")
        await connection.close()
        let schema = TestSchema(name: "restart_test", configuration: try base.withSearchPath("restart_test"), base: base)
        let setup = try await schema.connect()
        try await Migrations.Migrator().migrate(on: setup)
        try await setup.execute("CREATE TABLE test_runs (job_id bigint, attempt int, pid int, at timestamptz DEFAULT clock_timestamp())")
        let fixture = QueueFixture(schema: schema, connection: setup)
        try await Self.enqueue(fixture, count: 3000, RecordArgs(sleepMS: 2))
        await setup.close()
        let workers = Workers(database: cluster.connectionString, schema: "restart_test")
        defer { workers.killAll() }
        let a = try workers.start(queues: "default=8"), b = try workers.start(queues: "default=8")

        func count(_ sql: String) async throws -> Int {
            let connection = try await schema.connect()
            defer { Task { await connection.close() } }
            return try await connection.query(PostgresQuery(unsafeSQL: sql)).scalar(Int.self)
        }
        try await eventually("under way") { try await count("SELECT count(*) FROM test_runs") >= 300 }
        try await TestDatabase.blocking { try cluster.restart(mode: "fast") }
        try await eventually("all jobs done after the restart", within: .seconds(90)) {
            (try? await count("SELECT count(*) FROM jobs")) == 0
        }
        #expect(try await count("SELECT count(DISTINCT job_id) FROM test_runs") == 3000)
        #expect(try await count("SELECT sum(completed)::int FROM job_throughput") == 3000)
        #expect(a.isRunning && b.isRunning, "workers must survive the restart")
        a.signal(SIGTERM); b.signal(SIGTERM)
        #expect(await a.waitForExit(within: .seconds(15)) == 0)
        #expect(await b.waitForExit(within: .seconds(15)) == 0)
    }

    @Test("the listener's session killed with pg_terminate_backend: wake-ups continue (polling is 60 s)")
    func listenerKilled() async throws {
        try await Self.withFixture("listenkill") { fixture, workers in
            let worker = try workers.start(["SB_POLL_MS": "60000"])
            // The listener's session once it has run LISTEN: connected is not enough, since a job
            // enqueued before its LISTEN would wait for the 60 s poll (seen on a loaded machine).
            func listenerPID() async throws -> Int? {
                try await fixture.connection.query("""
                    SELECT pid FROM pg_stat_activity
                     WHERE application_name = \("\(worker.label)-listener") AND state = 'idle' AND query LIKE 'LISTEN %'
                    """).first?.decode(Int.self, at: 0)
            }
            func runOne(_ n: Int) async throws {
                try await Self.enqueue(fixture, count: 1, RecordArgs())
                // Well under the 60 s poll, with room for a machine busy with the other suites.
                try await eventually("job \(n) picked up through NOTIFY", within: .seconds(15)) {
                    try await fixture.count("SELECT count(*) FROM test_runs") == n
                }
            }
            try await eventually("listening") { try await listenerPID() != nil }
            try await Task.sleep(for: .milliseconds(300))
            try await runOne(1)
            let old = try #require(try await listenerPID())
            try await fixture.connection.execute("SELECT pg_terminate_backend(\(old)::int)")
            try await eventually("the listener reconnected") { try await listenerPID().map { $0 != old } ?? false }
            try await Task.sleep(for: .milliseconds(300))
            try await runOne(2)
            try await runOne(3)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(within: .seconds(15)) == 0)
        }
    }

    @Test("a poison job is dead after max attempts with all its errors; a hung job is timed out until dead")
    func poisonAndHung() async throws {
        try await QueueFixture.with("poisonproc") { fixture in
            let workers = Workers(database: fixture.schema.base.connectionString, schema: fixture.schema.name)
            defer { workers.killAll() }
            let poison = try await fixture.connection.run { connection in
                try Jobs.enqueue(try NewJob(kind: "test.fail", argumentsJSON: "{}", JobOptions(maxAttempts: 4)), on: connection)
            }
            let hung = try await fixture.connection.run { connection in
                try Jobs.enqueue(try NewJob(kind: "test.hang", argumentsJSON: "{}", JobOptions(maxAttempts: 2)), on: connection)
            }
            let worker = try workers.start()
            try await eventually("both dead", within: .seconds(20)) {
                try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'dead'") == 2
            }
            let poisonErrors = try await fixture.connection.query("""
                SELECT e->>'error' FROM jobs, jsonb_array_elements(errors) e WHERE id = \(poison.id!) ORDER BY (e->>'attempt')::int
                """).map { try $0.decode(String.self, at: 0) }
            #expect(poisonErrors.count == 4)
            #expect(poisonErrors.enumerated().allSatisfy { $1.contains("attempt \($0 + 1) fails") })
            let hungErrors = try await fixture.connection.query("SELECT errors::text FROM jobs WHERE id = \(hung.id!)").scalar(String.self)
            #expect(hungErrors.components(separatedBy: "timed out").count - 1 == 2)
            worker.signal(SIGTERM)
            #expect(await worker.waitForExit(within: .seconds(15)) == 0)
        }
    }

    @Test("a hung worker process (SIGSTOP) loses its leases; another finishes its jobs; its late outcomes are dropped")
    func stoppedWorkerLeaseLapses() async throws {
        try await Self.withFixture("sigstop") { fixture, workers in
            // The first attempts (the stuck worker's) last far longer than any scheduling delay
            // before the SIGSTOP; the rescuer's attempts are instant and its lease long, so neither
            // worker can finish or lose a job by the machine's slowness alone.
            try await Self.enqueue(fixture, count: 5, RecordArgs(sleepMS: 0, firstAttemptSleepMS: 12_000))
            let stuck = try workers.start(queues: "default=5")
            try await eventually("the first worker holds every job") { try await fixture.count("SELECT count(*) FROM test_runs") == 5 }
            stuck.signal(SIGSTOP)
            let rescuer = try workers.start(queues: "default=5", ["SB_LEASE_MS": "30000"])
            try await eventually("the jobs are done by the other worker", within: .seconds(30)) {
                try await fixture.count("SELECT count(*) FROM jobs") == 0
            }
            stuck.signal(SIGCONT)
            // Its handlers wake once their 12 s are up and try to record their outcomes.
            try await eventually("the stuck worker dropped its late outcomes", within: .seconds(30)) {
                stuck.output.contains("outcomes dropped: lease lost")
            }
            let runs = try await fixture.connection.query("SELECT pid, attempt, count(*)::int, count(DISTINCT job_id)::int FROM test_runs GROUP BY 1, 2 ORDER BY 2")
                .map { [try $0.decode(Int.self, at: 0), try $0.decode(Int.self, at: 1), try $0.decode(Int.self, at: 2), try $0.decode(Int.self, at: 3)] }
            #expect(runs == [[Int(stuck.pid), 1, 5, 5], [Int(rescuer.pid), 2, 5, 5]], "runs per (pid, attempt, runs, jobs)")
            #expect(try await fixture.count("SELECT sum(completed)::int FROM job_throughput") == 5)
            stuck.signal(SIGTERM); rescuer.signal(SIGTERM)
            #expect(await stuck.waitForExit(within: .seconds(15)) == 0)
            #expect(await rescuer.waitForExit(within: .seconds(15)) == 0)
        }
    }

    @Test("SIGTERM under load: exit 0 within the grace period; finished jobs recorded, the rest given back unburnt")
    func gracefulShutdown() async throws {
        try await Self.withFixture("sigterm") { fixture, workers in
            // The long jobs outlast any test run, and their kind's timeout too: on a starved CI
            // machine the wait for "under way" once passed 30 s, and 30 s jobs had completed.
            try await Self.enqueue(fixture, count: 5, RecordArgs(sleepMS: 600_000), JobOptions(priority: 0))
            try await Self.enqueue(fixture, count: 200, RecordArgs(sleepMS: 100), JobOptions(priority: 1))
            let worker = try workers.start(["SB_GRACE_MS": "1500", "SB_RECORD_TIMEOUT_MS": "900000"])
            try await eventually("under way") { try await fixture.count("SELECT count(*) FROM test_runs") >= 30 }
            let signalled = ContinuousClock.now
            worker.signal(SIGTERM)
            let status = await worker.waitForExit(within: .seconds(10))
            let took = ContinuousClock.now - signalled
            #expect(status == 0, "\(worker.output.suffix(2000))")
            // The long jobs would hold it for minutes; the slack over the grace is for a busy machine.
            #expect(took < .milliseconds(1500 + 5000), "shutdown took \(took)")
            #expect(try await fixture.count("SELECT count(*) FROM jobs WHERE state <> 'available'") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM jobs WHERE attempt <> 0") == 0)
            let completed = try await fixture.count("SELECT coalesce(sum(completed), 0)::int FROM job_throughput")
            #expect(completed + (try await fixture.count("SELECT count(*) FROM jobs")) == 205)
            #expect(try await fixture.count("SELECT count(*) FROM jobs WHERE args->>'sleepMS' = '600000'") == 5, "\(worker.output.suffix(2000))")
            #expect(try await fixture.count("SELECT count(*) FROM job_workers") == 0)
        }
    }

    @Test("cron with 3 worker processes: exactly one job per tick, across a leader killed mid-way; a new leader within seconds")
    func cronAndLeaderFailover() async throws {
        try await Self.withFixture("cron") { fixture, workers in
            // The schedule's queue has no worker, so its jobs stay to be counted.
            try await fixture.connection.execute("""
                INSERT INTO job_schedules (name, cron, queue, kind) VALUES ('every-second', '* * * * * *', 'cron-only', 'test.record')
                """)
            let processes = try (0..<3).map { _ in try workers.start() }
            func leader() async throws -> (id: Int64, pid: Int32)? {
                try await fixture.connection.query("""
                    SELECT w.id, w.pid FROM job_leader l JOIN job_workers w ON w.id = l.worker_id WHERE l.expires_at > now()
                    """).first.map { (try $0.decode(Int64.self, at: 0), Int32(try $0.decode(Int.self, at: 1))) }
            }
            // Firings missed while no leader runs its chores are skipped by design (cron does not
            // catch up), so the test waits for ticks rather than counting them over a wall-clock
            // time a busy machine may not give the leader (CI once saw 3 ticks in 10 s).
            func ticks() async throws -> [(tick: String, jobs: Int)] {
                try await fixture.connection.query("""
                    SELECT metadata->>'tick', count(*) FROM jobs WHERE queue = 'cron-only' GROUP BY 1
                    """).map { (try $0.decode(String.self, at: 0), try $0.decode(Int.self, at: 1)) }
            }
            try await eventually("a leader") { try await leader() != nil }
            try await eventually("3 ticks", within: .seconds(60)) { try await ticks().count >= 3 }
            let first = try #require(try await leader())
            let victim = try #require(processes.first { $0.pid == first.pid })
            victim.signal(SIGKILL)
            let killed = ContinuousClock.now
            try await eventually("another leader", within: .seconds(30)) { try await leader().map { $0.id != first.id } ?? false }
            let failover = ContinuousClock.now - killed
            // The dead leader's 5 s lease must run out first; the rest is the others' 1 s renewal
            // and a busy machine's scheduling (the whole suite on two cores once took 15.5 s).
            #expect(failover < .seconds(25), "re-election took \(failover)")
            let beforeFailover = try await ticks().count
            try await eventually("3 ticks after the failover", within: .seconds(60)) { try await ticks().count >= beforeFailover + 3 }
            for process in processes where process.isRunning { process.signal(SIGTERM) }
            let perTick = try await ticks()
            #expect(perTick.allSatisfy { $0.1 == 1 }, "duplicated ticks: \(perTick.filter { $0.1 > 1 })")
        }
    }
}
