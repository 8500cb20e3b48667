import CommandSupport
import SampleData
import SwitchboardApp
public import ArgumentParser
import Foundation
import EmbeddedPostgres
import Histogram
import JobQueue
import Migrations
import Postgres

public struct BenchCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency on this machine (build with -c release).",
        subcommands: [PostgresBench.self, QueueBench.self, IngestBench.self, RouteBench.self, NotifyBench.self, ServeBench.self, SurveyBench.self, MemoryBench.self]
    )
}

/// `bench pg`: the Postgres layer against pgbench, run in the same invocation.
struct PostgresBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pg",
        abstract: "Round trips, pool, pipeline, COPY and NOTIFY latency, with pgbench as the reference.",
        discussion: """
            roundtrips_per_s: `SELECT $1` one after another on one connection, from inside the connection's \
            isolation (no thread hop between calls); roundtrips_per_s_hopping: the same, each call awaited from \
            another task. The reference is pgbench `SELECT 1` with -M prepared and 1 client, run just before.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Seconds per timed figure.") var seconds: Double = 5
    @Option(help: "Notifications for the latency figure.") var notifications = 10_000
    @Option(help: "Rows for the COPY figure.") var copyRows = 500_000
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(help: "Skip the pgbench reference run.") var noReference = false

    func run() async throws {
        let configuration = try database.resolve()
        var figures: [(String, Double)] = []
        var reference: Double?
        if !noReference {
            reference = try PgBench.selectOneRate(connectionString: configuration.connectionString, seconds: seconds)
        }
        let connection = try await PostgresConnection.connect(configuration)
        let duration = Duration.milliseconds(Int64(seconds * 1000))

        let isolated = try await connection.run { connection in
            try timedLoop(for: duration) { index in _ = try connection.query("SELECT \(index)") }
        }
        figures.append(("roundtrips_per_s", isolated))
        let hopping = try await timedLoopAsync(for: duration) { index in _ = try await connection.query("SELECT \(index)") }
        figures.append(("roundtrips_per_s_hopping", hopping))

        let pool = PostgresPool(configuration: configuration, options: PostgresPoolOptions(maxConnections: 4))
        let poolRate = try await poolThroughput(pool, tasks: 16, duration: duration)
        figures.append(("pool_roundtrips_per_s", poolRate))
        await pool.shutdown()

        let pipelineRate = try await connection.run { connection in
            try timedLoop(for: duration, step: 1_000) { index in
                let results = try connection.pipeline((0..<1_000).map { "SELECT \(index + $0)" })
                for result in results { _ = try result.get() }
            }
        }
        figures.append(("pipeline_statements_per_s", pipelineRate))

        figures.append(("copy_rows_per_s", try await copyRate(connection, rows: copyRows)))

        let latency = try await notifyLatency(configuration, connection, count: notifications)
        figures.append(("notify_p50_ms", latency.p50))
        figures.append(("notify_p99_ms", latency.p99))
        await connection.close()

        if let reference {
            figures.append(("pgbench_select1_tps", reference))
            figures.append(("roundtrips_ratio_to_pgbench", isolated / reference))
            figures.append(("roundtrips_hopping_ratio_to_pgbench", hopping / reference))
        }
        BenchOutput.print(figures, json: json, title: "bench pg — \(configuration.target)")
    }

    private func poolThroughput(_ pool: PostgresPool, tasks: Int, duration: Duration) async throws -> Double {
        let deadline = ContinuousClock.now + duration
        let started = ContinuousClock.now
        let total = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        _ = try await pool.query("SELECT \(task * 1_000_000 + count)")
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(total) / (ContinuousClock.now - started).seconds
    }

    private func copyRate(_ connection: PostgresConnection, rows: Int) async throws -> Double {
        try await connection.run { connection in
            try connection.execute("DROP TABLE IF EXISTS switchboard_bench_copy")
            try connection.execute("CREATE TABLE switchboard_bench_copy (id bigint, kind text, payload text, at timestamptz)")
            defer { _ = try? connection.execute("DROP TABLE IF EXISTS switchboard_bench_copy") }
            let now = Date()
            let source = (1...rows).lazy.map { [$0, "order.shipped", "{\"order\":\($0)}", now] as [any PostgresEncodable] }
            let started = ContinuousClock.now
            let copied = try connection.copyFrom(table: "switchboard_bench_copy", columns: ["id", "kind", "payload", "at"], rows: source)
            guard copied == rows else { throw CommandFailure("COPY reported \(copied) rows of \(rows)") }
            return Double(rows) / (ContinuousClock.now - started).seconds
        }
    }

    private func notifyLatency(_ configuration: PostgresConfiguration, _ connection: PostgresConnection,
                               count: Int) async throws -> (p50: Double, p99: Double) {
        let listener = try PostgresListener(configuration: configuration)
        defer { listener.stop() }
        try await listener.listen("switchboard_bench")
        var events = listener.events.makeAsyncIterator()
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for index in 0..<count {
            let sent = ContinuousClock.now
            try await connection.notify(channel: "switchboard_bench", payload: String(index))
            guard case .notification(let notification)? = await events.next(), notification.payload == String(index) else {
                throw CommandFailure("notification \(index) did not arrive in order")
            }
            histogram.record(UInt64((ContinuousClock.now - sent).components.attoseconds / 1_000_000_000_000))
        }
        return (Double(histogram.valueAtPercentile(50)) / 1000, Double(histogram.valueAtPercentile(99)) / 1000)
    }
}

/// Runs `body` repeatedly for `duration` and returns iterations (times `step`) per second.
func timedLoop(for duration: Duration, step: Int = 1, _ body: (Int) throws -> Void) throws -> Double {
    let started = ContinuousClock.now
    let deadline = started + duration
    var count = 0
    while ContinuousClock.now < deadline {
        try body(count)
        count += step
    }
    return Double(count) / (ContinuousClock.now - started).seconds
}

func timedLoopAsync(for duration: Duration, _ body: (Int) async throws -> Void) async throws -> Double {
    let started = ContinuousClock.now
    let deadline = started + duration
    var count = 0
    while ContinuousClock.now < deadline {
        try await body(count)
        count += 1
    }
    return Double(count) / (ContinuousClock.now - started).seconds
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// The reference figures, from PostgreSQL's own benchmark tool.
enum PgBench {
    /// pgbench `SELECT 1`, `-M prepared`, one client: the round-trip rate of libpq in C.
    static func selectOneRate(connectionString: String, seconds: Double) throws -> Double {
        let script = FileManager.default.temporaryDirectory.appending(path: "switchboard-select1-\(getpid()).sql")
        try "SELECT 1;\n".write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let outcome = try PostgresTools.locate().runClient(
            "pgbench", ["-n", "-M", "prepared", "-c", "1", "-j", "1", "-T", String(max(1, Int(seconds))), "-f", script.path, connectionString])
        guard outcome.status == 0,
              let line = outcome.output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let tps = Double(line.dropFirst(6).prefix { $0.isNumber || $0 == "." }) else {
            throw CommandFailure("pgbench gave no tps figure (install postgresql-contrib, or pass --no-reference): \(outcome.output.suffix(300))")
        }
        return tps
    }
}

/// Prints figures as an aligned table or as one JSON object.
enum BenchOutput {
    static func print(_ figures: [(String, Double)], json: Bool, title: String) {
        if json {
            let body = figures.map { name, value in
                let number = value.rounded() == value || abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.3f", value)
                return "\"\(name)\": \(number)"
            }.joined(separator: ", ")
            Swift.print("{\(body)}")
            return
        }
        Swift.print(title)
        for (name, value) in figures {
            let shown = abs(value) >= 100 ? String(format: "%12.0f", value) : String(format: "%12.3f", value)
            Swift.print("  \(name.padding(toLength: 38, withPad: " ", startingAt: 0))\(shown)")
        }
    }
}

/// `../shared/bench/queue-ceiling.sh`: the raw SQL ceiling of a SKIP LOCKED queue on this
/// machine, measured with pgbench; the reference other figures are divided by.
enum QueueCeiling {
    static func run(script: String, conninfo: String, seconds: Int) throws -> (insert: Double, cycle: Double) {
        guard FileManager.default.isReadableFile(atPath: script) else {
            throw CommandFailure("ceiling script not found at \(script) (use --ceiling-script)")
        }
        let outcome = try PostgresTools.locate().runClient("/bin/bash", [script, conninfo, String(seconds)])
        var values: [String: Double] = [:]
        for line in outcome.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        guard outcome.status == 0, let insert = values["insert"], let cycle = values["cycle"] else {
            throw CommandFailure("the ceiling script failed (status \(outcome.status)): \(outcome.output.suffix(300))")
        }
        return (insert, cycle)
    }
}

/// The schema a benchmark works in, and the worker processes it starts there.
enum BenchSchema {
    /// Drops and recreates schema `name` on `server` and migrates it; returns its configuration
    /// and a control connection in it.
    static func recreate(_ name: String, on server: PostgresConfiguration) async throws -> (PostgresConfiguration, PostgresConnection) {
        let configuration = try server.withSearchPath(name)
        let admin = try await PostgresConnection.connect(server)
        try await admin.execute("DROP SCHEMA IF EXISTS \(identifier: name) CASCADE")
        try await admin.execute("CREATE SCHEMA \(identifier: name)")
        await admin.close()
        let control = try await PostgresConnection.connect(configuration)
        try await Migrator().migrate(on: control)
        // A bench measures what it set up: no category model trained behind its back at minute 17.
        try await control.execute("UPDATE job_schedules SET enabled = false WHERE name = 'categories_train'")
        return (configuration, control)
    }

    /// Starts `switchboard worker` (this very binary) on `schema` (nil: the connection's own
    /// search path), already migrated, with `arguments` added.
    static func startWorker(conninfo: String, schema: String?, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["worker", "--database-url", conninfo] + (schema.map { ["--schema", $0] } ?? []) + ["--no-migrate"] + arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Load shapes shared by the worker benchmarks.
enum BenchLoad {
    struct Percentiles {
        var offered: Double
        var p50: Double
        var p99: Double
        var max: Double
    }

    /// Fills `queue` to 2,000 available jobs with `refill(200)`, then keeps it there for
    /// `duration`. Returns the database's clock at the start of the window and its length in
    /// seconds, for counting what was done within it.
    static func keepBacklog(_ control: PostgresConnection, queue: String, for duration: Duration,
                            refill: (Int) async throws -> Void) async throws -> (window: Date, elapsed: Double) {
        func waiting() async throws -> Int {
            // An index-only count over the claim index: polling it does not weigh on the figure.
            try await control.run { try JobAdmin.count(queue: queue, states: [.available], on: $0) }
        }
        while try await waiting() < 2_000 { try await refill(200) }
        let window = try await control.query("SELECT clock_timestamp()").scalar(Date.self)
        let started = ContinuousClock.now
        while ContinuousClock.now - started < duration {
            if try await waiting() < 2_000 {
                try await refill(200)
            } else {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        return (window, (ContinuousClock.now - started).seconds)
    }

    /// Calls `arrive(n)` every 10 ms so that `rate` items per second arrive; returns the rate
    /// actually offered.
    static func offer(rate: Double, for duration: Duration, _ arrive: (Int) async throws -> Void) async throws -> Double {
        let started = ContinuousClock.now
        var next = started
        var owed = 0.0
        var sent = 0
        while ContinuousClock.now - started < duration {
            owed += rate / 100
            let size = Int(owed)
            owed -= Double(size)
            if size > 0 {
                try await arrive(size)
                sent += size
            }
            next += .milliseconds(10)
            try await Task.sleep(until: next)
        }
        return Double(sent) / (ContinuousClock.now - started).seconds
    }

    /// Percentiles in milliseconds of the microsecond values `sql` returns.
    static func percentiles(_ control: PostgresConnection, offered: Double, sql: String) async throws -> Percentiles {
        var histogram = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        for row in try await control.query(PostgresQuery(unsafeSQL: sql)) {
            histogram.record(UInt64(Swift.max(0, try row.decode(Int64.self, at: 0))))
        }
        return Percentiles(offered: offered, p50: Double(histogram.valueAtPercentile(50)) / 1000,
                           p99: Double(histogram.valueAtPercentile(99)) / 1000, max: Double(histogram.max) / 1000)
    }

    /// Waits until no job of `queue` is left (two minutes at most).
    static func drain(_ control: PostgresConnection, queue: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while try await control.run({ try JobAdmin.count(queue: queue, on: $0) }) > 0 {
            guard ContinuousClock.now < deadline else { throw CommandFailure("the \(queue) backlog did not drain within 120 s") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until `count` worker processes have registered (30 s at most).
    static func waitForWorkers(_ control: PostgresConnection, count: Int, andThen ready: () async throws -> Bool = { true }) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await control.run({ try JobAdmin.registeredWorkers(on: $0) }) >= count, try await ready() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw CommandFailure("the bench workers did not register within 30 s")
    }
}
