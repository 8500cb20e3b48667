import Foundation
import Postgres
import TestSupport
import Testing

/// Runs the real `switchboard` binary, built alongside the tests.
@Suite("switchboard command line")
struct CommandLineTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        // The test bundle lives in the build directory next to the executable.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appending(path: "switchboard")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the switchboard executable first (swift build)")
        return try await TestDatabase.blocking {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            env["DATABASE_URL"] = nil
            for (key, value) in environment { env[key] = value }
            process.environment = env
            let out = FileManager.default.temporaryDirectory.appending(path: "sb-out-\(UUID().uuidString)")
            let err = FileManager.default.temporaryDirectory.appending(path: "sb-err-\(UUID().uuidString)")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            process.waitUntilExit()
            return Run(status: process.terminationStatus,
                       stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        }
    }

    /// Starts `switchboard worker` with `arguments`; the caller stops it.
    static func startWorker(log: String? = nil, environment: [String: String] = [:], _ arguments: [String]) throws -> Process {
        let worker = Process()
        worker.executableURL = binary
        worker.arguments = ["worker"] + arguments
        worker.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        worker.standardOutput = FileHandle.nullDevice
        if let log, FileManager.default.createFile(atPath: log, contents: nil), let handle = FileHandle(forWritingAtPath: log) {
            worker.standardError = handle
        } else {
            worker.standardError = FileHandle.nullDevice
        }
        try worker.run()
        return worker
    }

    @Test("--help works on every command", arguments: [[], ["migrate"], ["db"], ["db", "start"], ["db", "stop"], ["db", "status"],
                                                         ["demo"], ["bench"], ["bench", "pg"], ["bench", "queue"], ["bench", "memory"], ["bench", "surveys"], ["report"],
                                                         ["worker"], ["serve"], ["jobs"], ["jobs", "status"], ["jobs", "enqueue"], ["jobs", "retry"],
                                                         ["jobs", "cancel"], ["jobs", "pause"], ["jobs", "resume"],
                                                         ["inbound"], ["inbound", "status"], ["inbound", "show"], ["inbound", "retry"],
                                                         ["route"], ["route", "explain"], ["route", "status"], ["route", "dry-run"],
                                                         ["bench", "ingest"], ["bench", "notify"], ["bench", "serve"], ["notify"], ["notify", "status"], ["notify", "explain"],
                                                         ["notify", "preview"], ["notify", "retry"], ["notify", "cancel"]])
    func help(_ command: [String]) async throws {
        let run = try await Self.run(command + ["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE"))
    }

    @Test("notify preview prints what the customer of an order would get, in the language asked, and says so when a template is missing")
    func notifyPreview() async throws {
        let schema = try await TestDatabase.freshSchema("cli_preview")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        #expect(try await Self.run(["migrate"] + url).status == 0)
        let connection = try await schema.connect()
        try await connection.simpleQuery(unsafeSQL: """
            WITH c AS (INSERT INTO customers (store_id, name) VALUES (1, 'Olena Koval') RETURNING id),
                 i AS (INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'email', 'olena@example.com' FROM c)
            INSERT INTO orders (store_id, customer_id, number, status, carrier, tracking_url, estimated_delivery)
            SELECT 1, id, '1001', 'shipped', 'Nova Poshta', 'https://track.example/59000123', '2026-12-06' FROM c;
            """)
        await connection.close()
        let run = try await Self.run(["notify", "preview", "order_shipped", "--locale", "uk", "--order", "1001"] + url)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdout.components(separatedBy: "\n")
        #expect(lines.first == "To: olena@example.com")
        #expect(lines.contains("Subject: Замовлення 1001 вже в дорозі"))
        #expect(run.stdout.contains("Відстежити: https://track.example/59000123") && run.stdout.contains("6 грудня 2026"))
        let sms = try await Self.run(["notify", "preview", "order_out_for_delivery", "--channel", "sms", "--locale", "uk", "--order", "1001"] + url)
        #expect(sms.stdout.contains("Language: en (no order_out_for_delivery template in uk)") && sms.stdout.contains("SMS: 1 segment"))
        let missing = try await Self.run(["notify", "preview", "no_such_notice", "--order", "1001"] + url)
        #expect(missing.status != 0 && missing.stderr.contains("no template no_such_notice for email in en, the store's language or English"))
        try await schema.drop()
    }

    @Test("report writes a period's report as CSV, JSON or HTML, and refuses a day that is not one")
    func report() async throws {
        let schema = try await TestDatabase.freshSchema("cli-report")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        var failure: (any Error)?
        do {
            #expect(try await Self.run(["migrate"] + url).status == 0)
            let connection = try await schema.connect()
            let customer = try await connection.query("INSERT INTO customers (store_id, name) VALUES (1, 'C') RETURNING id").scalar(Int64.self)
            try await connection.execute("""
                INSERT INTO conversations (store_id, customer_id, channel, status, created_at, resolved_at)
                VALUES (1, \(customer), 'email', 'resolved', '2026-03-02 10:00Z', '2026-03-02 12:00Z'),
                       (1, \(customer), 'email', 'open', '2026-03-03 10:00Z', NULL)
                """)
            await connection.close()
            let csv = try await Self.run(["report", "--from", "2026-03-01", "--to", "2026-03-04", "--format", "csv"] + url)
            #expect(csv.status == 0, "\(csv.stderr)")
            #expect(csv.stdout.split(separator: "\n") == ["day,conversations,first_response_minutes,csat,nps,unresolved",
                                                         "2026-03-01,0,,,,0", "2026-03-02,1,,,,0", "2026-03-03,1,,,,1"])
            let json = try await Self.run(["report", "--from", "2026-03-01", "--to", "2026-03-04", "--format", "json", "--store", "default"] + url)
            #expect(json.status == 0 && json.stdout.contains("\"conversations\" : 2"), "\(json.stdout.prefix(400))")
            let html = try await Self.run(["report", "--from", "2026-03-01", "--to", "2026-03-04"] + url)
            #expect(html.stdout.hasPrefix("<!DOCTYPE html>") && html.stdout.contains("<svg"))
            // In the admin's language: --language, else the shell's locale.
            let polish = try await Self.run(["report", "--from", "2026-03-01", "--to", "2026-03-04", "--language", "pl"] + url,
                                            environment: ["LANG": "uk_UA.UTF-8"])
            #expect(polish.stdout.contains(#"<html lang="pl""#) && polish.stdout.contains("Raport obsługi klienta"))
            let shell = try await Self.run(["report", "--from", "2026-03-01", "--to", "2026-03-04"] + url,
                                           environment: ["LC_ALL": "", "LANG": "uk_UA.UTF-8"])
            #expect(shell.stdout.contains("Звіт про обслуговування"))
            let unknown = try await Self.run(["report", "--language", "de"] + url)
            #expect(unknown.status != 0 && unknown.stderr.contains("--language must be one of en, uk, ru, pl, ar, zh, got 'de'"), "\(unknown.stderr)")
            let bad = try await Self.run(["report", "--from", "2026-02-30"] + url)
            #expect(bad.status != 0 && bad.stderr.contains("--from must be a day, YYYY-MM-DD, got '2026-02-30'"), "\(bad.stderr)")
        } catch { failure = error }
        try await schema.drop()
        if let failure { throw failure }
    }

    @Test("migrate applies the embedded migrations and reports them")
    func migrate() async throws {
        let schema = try await TestDatabase.freshSchema("cli")
        let run = try await Self.run(["migrate", "--database-url", schema.configuration.connectionString])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("already in place"))
        let status = try await Self.run(["migrate", "--status"], environment: ["DATABASE_URL": schema.configuration.connectionString])
        #expect(status.status == 0)
        try await schema.drop()
    }

    @Test("jobs commands: enqueue, status, pause, resume, cancel, retry, and a worker that runs the job and stops on SIGTERM")
    func jobsCommands() async throws {
        let schema = try await TestDatabase.freshSchema("clijobs")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        let enqueued = try await Self.run(["jobs", "enqueue", "switchboard.noop", "--queue", "cli"] + url)
        #expect(enqueued.status == 0, "\(enqueued.stderr)")
        #expect(enqueued.stdout.hasPrefix("enqueued job "))
        let duplicate = try await Self.run(["jobs", "enqueue", "switchboard.noop", "--queue", "cli", "--unique-key", "k"] + url)
        let again = try await Self.run(["jobs", "enqueue", "switchboard.noop", "--queue", "cli", "--unique-key", "k"] + url)
        #expect(duplicate.status == 0 && again.status == 0)
        #expect(again.stdout.contains("skipped"))
        let delayed = try await Self.run(["jobs", "enqueue", "switchboard.noop", "--queue", "later", "--delay", "3600"] + url)
        let delayedID = String(delayed.stdout.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await Self.run(["jobs", "cancel", delayedID] + url).stdout.contains("cancelled"))
        #expect(try await Self.run(["jobs", "retry", delayedID] + url).status == 0)
        let badRetry = try await Self.run(["jobs", "retry", delayedID] + url)
        #expect(badRetry.status == 1 && badRetry.stderr.contains("already available"))
        let badJSON = try await Self.run(["jobs", "enqueue", "switchboard.noop", "--args", "{oops"] + url)
        #expect(badJSON.status == 1 && badJSON.stderr.contains("not valid JSON"))
        #expect(try await Self.run(["jobs", "pause", "cli"] + url).stdout.contains("paused"))
        let paused = try await Self.run(["jobs", "status"] + url)
        #expect(paused.stdout.contains("cli (paused)"), "\(paused.stdout)")
        #expect(try await Self.run(["jobs", "resume", "cli"] + url).stdout.contains("resumed"))

        // A real worker process drains the queue and shuts down cleanly on SIGTERM.
        let worker = try Self.startWorker(["--queue", "cli=2", "--log-level", "warning"] + url)
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        let connection = try await schema.connect()
        let deadline = ContinuousClock.now + .seconds(20)
        while try await connection.query("SELECT count(*) FROM jobs WHERE queue = 'cli'").scalar(Int.self) > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await connection.query("SELECT count(*) FROM jobs WHERE queue = 'cli'").scalar(Int.self) == 0)
        let status = try await Self.run(["jobs", "status", "--json"] + url)
        #expect(status.status == 0 && status.stdout.contains("\"workers\""))
        kill(worker.processIdentifier, SIGTERM)
        let stopBy = ContinuousClock.now + .seconds(15)
        while worker.isRunning, ContinuousClock.now < stopBy { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!worker.isRunning && worker.terminationStatus == 0)
        await connection.close()
        try await schema.drop()
    }

    @Test("demo runs every check, the job queue's included, then live ingest, routing, notification and surveys for --duration, in a scratch schema it drops, and writes the report")
    func demo() async throws {
        let schema = try await TestDatabase.freshSchema("clidemo")
        let run = try await Self.run(["demo", "--duration", "5", "--database-url", schema.base.connectionString, "--schema", schema.name])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("✓ live traffic"))
        // What left reached the loopback sinks (the demo fails when nothing did, or a sink missed some).
        #expect(run.stdout.contains("reached the mail sink"), "\(run.stdout)")
        #expect(run.stdout.contains("assigned to") && run.stdout.contains("routing decisions"), "\(run.stdout)")
        #expect(run.stdout.contains("✓ the job queue runs 2,000 jobs"))
        #expect(run.stdout.contains("✓ inbound messages become conversations"))
        #expect(run.stdout.contains("bot: where_is_my_order"))
        #expect(!run.stdout.contains("✗"))
        // Surveys and the report: the closing lines name the HTML file, which holds the charts.
        #expect(run.stdout.contains("surveys: ") && run.stdout.contains("report: ") && run.stdout.contains("conversations, first response"),
                "\(run.stdout)")
        let reportPath = try #require(run.stdout.split(separator: "\n").first { $0.contains("the HTML report: ") }?
            .components(separatedBy: "the HTML report: ").last?.split(separator: " ").first.map(String.init))
        let html = try String(contentsOfFile: reportPath, encoding: .utf8)
        #expect(html.contains("<h1>Service report</h1>") && html.contains("<svg"))
        try? FileManager.default.removeItem(atPath: reportPath)
        let connection = try await schema.connect()
        let leftovers = try await connection.query("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'switchboard_demo_%'").scalar(Int.self)
        #expect(leftovers == 0)
        await connection.close()
        try await schema.drop()
    }

    @Test("a failure exits non-zero with one line on stderr and no password")
    func failureIsOneLine() async throws {
        let run = try await Self.run(["migrate", "--database-url", "postgresql://me:hunter2@localhost/db?bogus=1"])
        #expect(run.status != 0)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("switchboard: error: malformed connection URL") == true)
        #expect(!run.stderr.contains("hunter2"))
        let unreachable = try await Self.run(["migrate", "--database-url", "host=/nonexistent-dir port=5432 dbname=x connect_timeout=2"])
        #expect(unreachable.status != 0 && unreachable.stderr.split(separator: "\n").count == 1)
    }

    @Test("a worker duration no Duration holds is a usage error, said before anything starts", arguments: [
        ["--lease", "inf"], ["--shutdown-grace", "1e300"], ["--notify-gather-ms", "inf"], ["--routing-sweep", "nan"],
    ])
    func unrepresentableDuration(_ arguments: [String]) async throws {
        let run = try await Self.run(["worker"] + arguments)
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("Error: \(arguments[0]) takes a number within a century"), "\(run.stderr)")
    }

    @Test("db start, status and stop manage an embedded cluster; it is reused next time")
    func embeddedCluster() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "switchboard-cli-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stopped = try await Self.run(["db", "status", "--data-dir", directory])
        #expect(stopped.status == 3 && stopped.stdout.contains("not initialised"))
        let start = try await Self.run(["db", "start", "--data-dir", directory])
        #expect(start.status == 0, "\(start.stderr)")
        #expect(start.stdout.contains("started"))
        let again = try await Self.run(["db", "start", "--data-dir", directory])
        #expect(again.stdout.contains("already running"))
        let running = try await Self.run(["db", "status", "--data-dir", directory])
        #expect(running.status == 0 && running.stdout.contains("running (pid"))
        // With no DATABASE_URL, migrate uses the embedded cluster.
        let migrate = try await Self.run(["migrate", "--data-dir", directory])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        let stop = try await Self.run(["db", "stop", "--data-dir", directory])
        #expect(stop.status == 0)
        let after = try await Self.run(["db", "status", "--data-dir", directory])
        #expect(after.status == 3 && after.stdout.contains("stopped"))
    }
}
