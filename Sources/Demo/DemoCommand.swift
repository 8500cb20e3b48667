import CommandSupport
import SampleData
import SwitchboardApp
public import ArgumentParser
import Foundation
import JobQueue
import Logging
import Migrations
import Postgres

/// Starts the database, migrates, and shows the Postgres layer working end to end.
public struct DemoCommand: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Start the (embedded) database, migrate, and run a visible end-to-end check.",
        discussion: """
            Each check prints what it did and how long it took; the command fails if any check fails. Then, live, \
            the ingest, routing, notification and survey workers run on a stream of simulated multilingual messages and \
            order events while agents answer, resolve and go on and offline; every two seconds a progress line and \
            what left for the loopback mail and HTTP sinks (or was held back, and why), until Ctrl-C or --duration. \
            Resolved conversations get a CSAT survey; customers answer some from its link and some by SMS reply. \
            It ends with the report's headline figures and writes the HTML report to a file it names. \
            It works in a scratch schema that it drops afterwards.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Seconds the live part runs (default: until Ctrl-C; 0 skips it).") var duration: Double?

    public func run() async throws {
        // The screen is for the demo's own lines; what the migrator and the workers log goes to a file.
        let log = try FileLogHandler.Sink(path: FileManager.default.temporaryDirectory
            .appending(path: "switchboard-demo-\(getpid()).log").path)
        LoggingSystem.bootstrap { label in FileLogHandler(label: label, sink: log) }
        let configuration = try database.resolve(announce: true)
        let connection = try await PostgresConnection.connect(configuration)
        let version = try await connection.query("SHOW server_version").scalar(String.self)
        print("Connected to PostgreSQL \(version) at \(configuration.target)")
        let report = try await Migrator().migrate(on: connection)
        print("Migrations: \(report.applied.count) applied now, \(report.alreadyApplied) already in place; definitions: \(report.definitionsApplied.count) applied, \(report.definitionsUnchanged) unchanged\n")

        let schema = "switchboard_demo_\(getpid())"
        try await connection.execute("CREATE SCHEMA \(identifier: schema)")
        let demo = try configuration.withSearchPath(schema)
        let pool = PostgresPool(configuration: demo, options: PostgresPoolOptions(maxConnections: 8))
        var failures = 0
        for check in DemoChecks.all {
            let started = ContinuousClock.now
            do {
                let detail = try await check.run(pool, demo)
                print("  ✓ \(check.name.padding(toLength: 38, withPad: " ", startingAt: 0)) \(detail)  [\(format(ContinuousClock.now - started))]")
            } catch {
                failures += 1
                print("  ✗ \(check.name.padding(toLength: 38, withPad: " ", startingAt: 0)) \(error)")
            }
        }
        if failures == 0, duration.map({ $0 > 0 }) ?? true {
            let started = ContinuousClock.now
            do {
                let detail = try await DemoLive.run(pool, demo, duration: duration.map { .milliseconds(Int64($0 * 1000)) })
                print("  ✓ \("live traffic".padding(toLength: 38, withPad: " ", startingAt: 0)) \(detail)  [\(format(ContinuousClock.now - started))]")
            } catch {
                failures += 1
                print("  ✗ \("live traffic".padding(toLength: 38, withPad: " ", startingAt: 0)) \(error)")
            }
        }
        await pool.shutdown()
        try await connection.execute("DROP SCHEMA \(identifier: schema) CASCADE")
        await connection.close()
        print("")
        print("The workers' and the migrator's log: \(log.path)")
        if failures > 0 { throw CommandFailure("\(failures) demo check(s) failed; the log is \(log.path)") }
        print("All checks passed.")
    }

    private func format(_ duration: Duration) -> String {
        String(format: "%.1f ms", Double(duration.components.attoseconds) / 1e15 + Double(duration.components.seconds) * 1000)
    }
}

/// The checks the demo runs, each returning a one-line account of what it saw.
enum DemoChecks {
    struct Check: Sendable {
        let name: String
        let run: @Sendable (PostgresPool, PostgresConfiguration) async throws -> String
    }

    static func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw CommandFailure(message()) }
    }

    static let all: [Check] = [
        Check(name: "parameters bind, Unicode survives") { pool, _ in
            let texts = ["مرحبا، أين طلبي؟", "我的订单在哪里？", "Де моє замовлення?", "Where is my order? 📦🚚"]
            for text in texts {
                let echoed = try await pool.query("SELECT \(text)::text").scalar(String.self)
                try expect(echoed == text, "sent \(text), got \(echoed)")
            }
            return "\(texts.count) scripts round-tripped as $1"
        },
        Check(name: "transactions commit and roll back") { pool, _ in
            try await pool.withConnection { connection in
                try connection.execute("CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL)")
                try await connection.transaction { try $0.execute("INSERT INTO notes VALUES (1, 'kept')") }
                do {
                    try await connection.transaction { connection in
                        try connection.execute("INSERT INTO notes VALUES (2, 'discarded')")
                        throw CommandFailure("deliberate")
                    }
                } catch is CommandFailure {}
                let count = try connection.query("SELECT count(*) FROM notes").scalar(Int.self)
                try expect(count == 1, "expected 1 row after commit + rollback, found \(count)")
                return "committed row kept, rolled-back row gone"
            }
        },
        Check(name: "errors carry SQLSTATE and constraint") { pool, _ in
            do {
                try await pool.execute("INSERT INTO notes VALUES (\(1), \("duplicate"))")
                throw CommandFailure("duplicate insert succeeded")
            } catch let error as PostgresError {
                try expect(error.isUniqueViolation && error.constraint == "notes_pkey", "unexpected \(error)")
                return "23505 on notes_pkey"
            }
        },
        Check(name: "COPY bulk-loads rows") { pool, _ in
            try await pool.withConnection { connection in
                try connection.execute("CREATE TABLE events (id bigint, kind text, at timestamptz)")
                let now = Date()
                let rows = (1...10_000).lazy.map { [$0, "event \($0)", now] as [any PostgresEncodable] }
                let copied = try connection.copyFrom(table: "events", columns: ["id", "kind", "at"], rows: rows)
                try expect(copied == 10_000, "copied \(copied)")
                return "10,000 rows in one COPY"
            }
        },
        Check(name: "pipeline sends 1,000 statements") { pool, _ in
            try await pool.withConnection { connection in
                let results = try connection.pipeline((1...1_000).map { "SELECT \($0)::int8 * 2" })
                let sum = try results.reduce(0) { try $0 + $1.get().scalar(Int.self) }
                try expect(sum == 1_001_000, "sum \(sum)")
                return "1,000 results in one round trip"
            }
        },
        Check(name: "NOTIFY arrives after COMMIT only") { pool, configuration in
            let listener = try PostgresListener(configuration: configuration)
            defer { listener.stop() }
            try await listener.listen("demo")
            var events = listener.events.makeAsyncIterator()
            try? await pool.withConnection { connection in
                try await connection.transaction { connection in
                    try connection.notify(channel: "demo", payload: "rolled back")
                    throw CommandFailure("deliberate rollback")
                }
            }
            let sent = ContinuousClock.now
            try await pool.withConnection { try $0.notify(channel: "demo", payload: "committed") }
            // Delivery is in commit order, so a leaked rolled-back notification would come first.
            guard case .notification(let notification)? = await events.next() else { throw CommandFailure("listener ended") }
            try expect(notification.payload == "committed", "received \(notification.payload)")
            let micros = (ContinuousClock.now - sent).components.attoseconds / 1_000_000_000_000
            return "committed one received after \(micros) µs; rolled-back one never"
        },
        Check(name: "pool serves 500 concurrent tasks") { pool, _ in
            let total = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 1...500 { group.addTask { try await pool.query("SELECT \(index)::int8").scalar(Int.self) } }
                return try await group.reduce(0, +)
            }
            try expect(total == 125_250, "sum \(total)")
            let stats = await pool.statistics
            return "500 queries on at most \(pool.options.maxConnections) connections (\(stats.open) open)"
        },
        Check(name: "the job queue runs 2,000 jobs") { pool, demo in
            try await pool.withConnection { connection in try await Migrator().migrate(on: connection) }
            let jobs = try (0..<2_000).map { _ in try NewJob(SwitchboardKinds.noop, .init(), JobOptions(queue: "demo")) }
            let (left, elapsed) = try await DemoWorkers.whileRunning(["demo": 50], in: demo) {
                let started = ContinuousClock.now
                _ = try await pool.withConnection { connection in try Jobs.enqueue(many: jobs, on: connection) }
                var left = 2_000
                while left > 0, ContinuousClock.now - started < .seconds(30) {
                    try await Task.sleep(for: .milliseconds(10))
                    left = try await pool.withConnection { try JobAdmin.count(queue: "demo", on: $0) }
                }
                return (left, ContinuousClock.now - started)
            }
            try expect(left == 0, "\(left) of 2,000 jobs still waiting after 30 s")
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            return "enqueued in one batch, claimed and completed by a worker (\(Int(2_000 / seconds)) jobs/s)"
        },
        Check(name: "inbound messages become conversations") { pool, demo in try await DemoIngest.run(pool, demo) },
    ]
}
