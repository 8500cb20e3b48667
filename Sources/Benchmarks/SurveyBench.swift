import CommandSupport
import ArgumentParser
import Foundation
import JobQueue
import Migrations
import Postgres
import Reports
import SampleData

/// `bench surveys`: surveys decided and handed to the notification worker per second, and the
/// service report's latency over a year of history against the straightforward query.
struct SurveyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surveys",
        abstract: "Surveys handed to the notification worker per second, and a month's report over a year of history against recomputing it.",
        discussion: """
            Surveys, in schema switchboard_bench_surveys (dropped and recreated): --resolved open conversations of as many \
            customers, each with the customer's message and an agent's reply, are resolved --batch at a time while \
            --processes `switchboard worker --queue surveys=N` processes run; each resolution schedules a CSAT survey \
            (no delay) and its job, and a worker decides it (`survey_send()`: settings, throttle, sample) and writes its \
            outbox row for the notification worker. surveys_per_s counts surveys queued per second from the first \
            resolution to the last survey queued. \
            Report, in schema switchboard_bench_report (recreated unless --reuse-history finds the history there): \
            ServiceHistory generates --conversations conversations over the twelve months before 2026-12-01 with their \
            messages and surveys; facts_refresh_per_s is how fast `service_facts_refresh()` first keeps all their facts. \
            Then, in --pairs interleaved pairs, the report of --month for store `default` (ServiceReport.read, as \
            `switchboard report` and the console read it) and the same report recomputed from every conversation's \
            messages (conversation_facts, the straightforward query): report_ms and naive_report_ms are the medians; \
            report_matches_naive is 1 when the two give the same figures. --ceiling also runs ../shared/bench/queue-ceiling.sh \
            as the reference for this machine at this moment.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Resolved conversations for the surveys figure (0 skips it).") var resolved = 100_000
    @Option(help: "Conversations resolved per transaction.") var batch = 500
    @Option(help: "Survey worker processes.") var processes = 2
    @Option(help: "Survey job slots per worker process (surveys=N).") var concurrency = 32
    @Option(help: "Conversations of the report's history (0 skips the report figures).") var conversations = 1_000_000
    @Option(help: "The report's month, YYYY-MM.") var month = "2026-06"
    @Option(help: "Interleaved pairs of report and straightforward query.") var pairs = 3
    @Flag(help: "Keep the history of an earlier run when it has --conversations conversations.") var reuseHistory = false
    @Flag(help: "Also run the pgbench ceiling script and print ratios.") var ceiling = false
    @Option(name: .customLong("ceiling-script"), help: "Path of queue-ceiling.sh.") var ceilingScript = "../shared/bench/queue-ceiling.sh"
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    static let surveySchema = "switchboard_bench_surveys"
    static let reportSchema = "switchboard_bench_report"

    func run() async throws {
        let server = try database.resolveServer()
        var figures: [(String, Double)] = []
        let reference = ceiling ? try QueueCeiling.run(script: ceilingScript, conninfo: server.connectionString, seconds: 10) : nil
        if resolved > 0 {
            let rate = try await surveysPerSecond(server)
            figures.append(("surveys_per_s", rate))
            if let reference { figures.append(("surveys_ratio_to_ceiling_cycle", rate / reference.cycle)) }
        }
        if conversations > 0 {
            figures += try await reportLatency(server)
        }
        if let reference { figures.append(("ceiling_cycle_jobs_per_s", reference.cycle)) }
        BenchOutput.print(figures, json: json, title: "switchboard bench surveys (\(server.target))")
    }

    private func surveysPerSecond(_ server: PostgresConfiguration) async throws -> Double {
        let (_, control) = try await BenchSchema.recreate(Self.surveySchema, on: server)
        defer { Task { await control.close() } }
        try await control.simpleQuery(unsafeSQL: """
            UPDATE survey_settings SET csat_delay = '0', sample_percent = 100;
            UPDATE notify_settings SET public_base_url = 'https://shop.example';
            INSERT INTO agents (email, name) VALUES ('bench@shop.example', 'Bench');
            """)
        try await control.execute("""
            INSERT INTO customers (store_id, name) SELECT 1, 'Customer ' || n FROM generate_series(1, \(resolved)) n
            """)
        try await control.execute("""
            INSERT INTO conversations (store_id, customer_id, channel, language, status, created_at)
            SELECT 1, id, 'email', 'en', 'open', now() - interval '1 hour' FROM customers
            """)
        try await control.execute("""
            INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text, created_at)
            SELECT 1, id, 'inbound', 'customer', 'email', 'Where is my order?', created_at FROM conversations
            UNION ALL
            SELECT 1, id, 'outbound', 'agent', 'email', 'It is on its way.', created_at + interval '10 minutes' FROM conversations
            """)
        let workers = try (0..<processes).map { _ in
            try BenchSchema.startWorker(conninfo: server.connectionString, schema: Self.surveySchema,
                                        ["--queue", "surveys=\(concurrency)", "--log-level", "error"])
        }
        defer { for worker in workers where worker.isRunning { worker.interrupt() } }
        try await BenchLoad.waitForWorkers(control, count: processes)

        let started = ContinuousClock.now
        var next: Int64 = 0
        while true {
            let row = try await control.query("""
                WITH done AS (
                    UPDATE conversations SET status = 'resolved', resolved_at = now()
                     WHERE id IN (SELECT id FROM conversations WHERE id > \(next) ORDER BY id LIMIT \(batch))
                    RETURNING id)
                SELECT count(*), coalesce(max(id), 0) FROM done
                """)[0]
            if try row.decode(Int.self, at: 0) == 0 { break }
            next = try row.decode(Int64.self, at: 1)
        }
        let deadline = ContinuousClock.now + .seconds(600)
        while try await control.query("SELECT count(*) FROM surveys WHERE status = 'scheduled'").scalar(Int.self) > 0 {
            guard ContinuousClock.now < deadline else { throw CommandFailure("the surveys were not all decided within 600 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let elapsed = (ContinuousClock.now - started).seconds
        let queued = try await control.query("SELECT count(*) FROM surveys WHERE status = 'queued' AND outbox_id IS NOT NULL").scalar(Int.self)
        guard queued == resolved else {
            let reasons = try await control.query("SELECT coalesce(reason, status) || ': ' || count(*) FROM surveys GROUP BY 1")
                .map { try $0.decode(String.self, at: 0) }.joined(separator: "; ")
            throw CommandFailure("\(queued) of \(resolved) surveys were queued (\(reasons))")
        }
        for worker in workers { worker.interrupt() }
        for worker in workers { worker.waitUntilExit() }
        return Double(queued) / elapsed
    }

    private func reportLatency(_ server: PostgresConfiguration) async throws -> [(String, Double)] {
        var figures: [(String, Double)] = []
        let (control, reusable) = try await historySchema(server)
        defer { Task { [control] in await control.close() } }
        if !reusable {
            let generation = ContinuousClock.now
            try await control.run { connection in try ServiceHistory.generate(conversations: conversations, on: connection) }
            figures.append(("history_generate_s", (ContinuousClock.now - generation).seconds))
        }
        // Whatever is marked stale (all of a new history) is kept before the report is timed.
        if try await control.query("SELECT count(*) FROM service_facts_stale").scalar(Int.self) > 0 {
            let refresh = ContinuousClock.now
            var kept = 0
            while true {
                let taken = try await control.query("SELECT service_facts_refresh(20000)").scalar(Int.self)
                if taken == 0 { break }
                kept += taken
            }
            figures.append(("facts_refresh_per_s", Double(kept) / (ContinuousClock.now - refresh).seconds))
            try await control.simpleQuery(unsafeSQL: "VACUUM ANALYZE")
        }
        let period = try monthPeriod()
        figures.append(("history_conversations", Double(try await control.query("SELECT count(*) FROM conversations").scalar(Int.self))))
        figures.append(("month_conversations", Double(try await control.query("""
            SELECT count(*) FROM service_facts WHERE store_id = 1 AND day >= \(period.from)::date AND day < \(period.to)::date
            """).scalar(Int.self))))

        var kept: [Double] = [], naive: [Double] = []
        var matches = true
        for _ in 0..<max(1, pairs) {
            let (keptReport, keptMs) = try await timed(control) { try ServiceReport.read(from: period.from, to: period.to, store: "default", on: $0) }
            let (naiveReport, naiveMs) = try await timed(control) {
                try ServiceReport.read(from: period.from, to: period.to, store: "default", recompute: true, on: $0)
            }
            kept.append(keptMs)
            naive.append(naiveMs)
            matches = matches && ServiceReport.sameFigures(keptReport, naiveReport)
        }
        figures.append(("report_ms", median(kept)))
        figures.append(("naive_report_ms", median(naive)))
        figures.append(("report_ratio_to_naive", median(kept) / median(naive)))
        figures.append(("report_matches_naive", matches ? 1 : 0))
        return figures
    }

    /// The schema of the history: the one an earlier run left, when --reuse-history finds
    /// --conversations conversations there (migrated like any schema, so that it is read with this
    /// binary's definitions), else a new one. Returns a connection in it and whether it was kept.
    private func historySchema(_ server: PostgresConfiguration) async throws -> (PostgresConnection, Bool) {
        if reuseHistory, let existing = try? await PostgresConnection.connect(try server.withSearchPath(Self.reportSchema)) {
            if (try? await existing.query("SELECT count(*) FROM conversations").scalar(Int.self)) == conversations {
                try await Migrator().migrate(on: existing)
                return (existing, true)
            }
            await existing.close()
        }
        return (try await BenchSchema.recreate(Self.reportSchema, on: server).1, false)
    }

    /// The first day of --month and of the month after it.
    private func monthPeriod() throws -> (from: String, to: String) {
        let parts = month.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, (1...12).contains(parts[1]) else { throw CommandFailure("--month must be YYYY-MM, got '\(month)'") }
        let (year, number) = (parts[0], parts[1])
        let next = number == 12 ? (year + 1, 1) : (year, number + 1)
        return try ReportPeriod.resolve(from: String(format: "%04d-%02d-01", year, number), to: String(format: "%04d-%02d-01", next.0, next.1))
    }

    private func timed(_ control: PostgresConnection, _ body: @Sendable (isolated PostgresConnection) async throws -> ServiceReport) async throws
        -> (ServiceReport, Double) {
        let started = ContinuousClock.now
        let report = try await control.run(body)
        return (report, (ContinuousClock.now - started).seconds * 1000)
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }
}
