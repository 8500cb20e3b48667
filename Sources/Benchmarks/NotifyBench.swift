import CommandSupport
import EmbeddedPostgres
import ArgumentParser
import Foundation
import Helpdesk
import LoopbackSinks
import Notify
import Postgres

/// `bench notify`: what one notification worker process sends, against the tools of the field
/// sending the same to the same sink in the same run: postfix's smtp-source for email, wrk for
/// HTTP; and how soon an order event's notice reaches the provider.
struct NotifyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Emails/s and HTTP sends/s from one notify worker process against smtp-source and wrk, and order event → provider latency.",
        discussion: """
            Works in schema switchboard_bench_notify (dropped and recreated). Email: postfix's smtp-sink on \
            loopback takes what both send; smtp-source sends --messages messages of --size bytes over \
            --connections connections, each kept for many messages (-d), as the worker keeps its connections; \
            then one `switchboard worker --queue notify=<slots>` sends as many outbox rows of the same \
            size over at most --connections connections (the provider's settings.connections; its job slots \
            only feed its batches), and emails_per_s counts the rows sent per second between the first and the last. HTTP: an \
            in-process sink answers every POST with 200; wrk posts a body of the same size at the same \
            concurrency for --seconds, then the worker sends outbox rows through a signed-webhook provider, \
            at most --connections requests in flight. \
            Latency: --history past orders of a thousand customers are written first (each with its applied \
            event and its sent confirmation, then the tables are analyzed), as a running shop has them; then, \
            with an ingest and a notify worker running, order events arrive at --rate a second for \
            --seconds; each is a new order whose confirmation goes by email, and the figure is the time \
            from the event's insert to the sink's acceptance (outbox.sent_at − order_events.received_at). \
            Installs postfix and wrk when missing (apt-get).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Connections (smtp-source -s, wrk -c, and the worker's to the sink: its providers' settings.connections).") var connections = 8
    @Option(help: "The worker's job slots (notify=N): the rows its batches are made of.") var slots = 64
    @Option(help: "The worker's --notify-batch: outbox rows begun and recorded together at most.") var batch = NotifyWorker.defaultBatchSize
    @Option(help: "The worker's --notify-lanes: batches at once.") var lanes = NotifyWorker.defaultLanes
    @Option(name: .customLong("gather-ms"), help: "The worker's --notify-gather-ms: how long a short batch waits for more rows while another is under way.")
    var gather: Double?
    @Option(help: "Outbox rows (and smtp-source messages) per email and HTTP phase.") var messages = 20_000
    @Option(help: "Bytes of each message body.") var size = 2_048
    @Option(help: "Seconds of wrk, and of the latency phase.") var seconds = 10.0
    @Option(help: "Order events per second in the latency phase.") var rate = 500.0
    @Option(help: "Past orders of the latency phase's thousand customers, each with its applied event and its sent confirmation.")
    var history = 50_000
    @Option(name: .customLong("phase"), help: "Run only this phase: email, http or latency (repeatable; default: all three).")
    var phases: [Phase] = Phase.allCases
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    enum Phase: String, CaseIterable, ExpressibleByArgument {
        case email, http, latency
    }

    static let schema = "switchboard_bench_notify"

    /// The measured notify worker's command line: its job slots, batch size and lanes.
    private var notifyWorkerArguments: [String] {
        ["--queue", "notify=\(slots)", "--notify-batch", "\(batch)", "--notify-lanes", "\(lanes)", "--log-level", "error"]
            + (gather.map { ["--notify-gather-ms", "\($0)"] } ?? [])
    }

    func run() async throws {
        try Tools.install()
        let server = try database.resolveServer()
        var figures: [(String, Double)] = []
        let sink = try SMTPSink.start()
        defer { sink.stop() }

        let (configuration, control) = try await BenchSchema.recreate(Self.schema, on: server)
        try await control.simpleQuery(unsafeSQL: """
            UPDATE stores SET support_email = 'shop@bench.example', quiet_hours_start = NULL, quiet_hours_end = NULL;
            UPDATE notify_caps SET enabled = false;
            INSERT INTO notify_providers (name, channel, kind, endpoint, settings)
            VALUES ('sink', 'email', 'smtp', 'smtp+plain://127.0.0.1:\(sink.port)', '{"connections": \(connections)}');
            """)
        let body = String(repeating: "Your order is on its way. ", count: max(1, size / 26))
        if phases.contains(.email) {
            let reference = try Tools.smtpSource(port: sink.port, connections: connections, messages: messages, size: size)
            let emails = try await sendRate(control, server, channel: "email", body: body)
            figures.append(("emails_per_s", emails))
            figures.append(("smtp_source_per_s", reference))
            figures.append(("emails_ratio_to_smtp_source", emails / reference))
        }

        if phases.contains(.http) {
            let http = try HTTPSink()
            defer { http.stop() }
            let wrk = try Tools.wrk(port: http.port, connections: connections, seconds: seconds, size: size)
            try await control.execute("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref, settings)
                VALUES ('http sink', 'sms', 'webhook', \("http://127.0.0.1:\(http.port)/messages"), 'env:SWITCHBOARD_BENCH_HOOK',
                        jsonb_build_object('connections', \(connections)))
                """)
            let sends = try await sendRate(control, server, channel: "sms", body: body)
            figures.append(("http_sends_per_s", sends))
            figures.append(("wrk_per_s", wrk))
            figures.append(("http_ratio_to_wrk", sends / wrk))
        }

        if phases.contains(.latency) {
            let latency = try await orderNoticeLatency(configuration, control, server)
            figures.append(("order_notice_p50_ms", latency.p50))
            figures.append(("order_notice_p99_ms", latency.p99))
            figures.append(("order_notice_max_ms", latency.max))
            figures.append(("order_events_offered_per_s", latency.offered))
        }
        await control.close()
        BenchOutput.print(figures, json: json, title: "switchboard bench notify (\(server.target), schema \(Self.schema))")
    }

    /// Writes `messages` outbox rows on `channel` for a thousand customers, then starts one
    /// worker process and returns the rows it sent per second, from its first send to its last.
    private func sendRate(_ control: PostgresConnection, _ server: PostgresConfiguration, channel: String, body: String) async throws -> Double {
        let customers: PostgresQuery = channel == "email"
            ? """
              WITH c AS (INSERT INTO customers (store_id, name) SELECT 1, 'Bench ' || n FROM generate_series(1, 1000) AS n RETURNING id)
              INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'email', 'c' || id || '@bench.example' FROM c
              """
            : """
              WITH c AS (INSERT INTO customers (store_id, name) SELECT 1, 'Bench ' || n FROM generate_series(1, 1000) AS n RETURNING id)
              INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'phone', '+38050' || lpad(id::text, 7, '0') FROM c
              """
        try await control.execute(customers)
        let first = try await control.query("SELECT coalesce(max(id), 0) FROM outbox").scalar(Int64.self)
        try await control.execute("""
            INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, subject, body_text, idempotency_key)
            SELECT 1, c.id, 'reply', 'reply', \(channel), 'en', 'Your order', \(body), 'bench:' || \(channel) || ':' || n
              FROM generate_series(1, \(messages)) AS n
              JOIN LATERAL (SELECT i.customer_id AS id FROM customer_identities i
                             WHERE i.kind = \(channel == "email" ? "email" : "phone") ORDER BY i.id OFFSET n % 1000 LIMIT 1) c ON true
            """)
        _ = try await control.simpleQuery(unsafeSQL: "VACUUM (ANALYZE) outbox, jobs, customers, customer_identities")
        let worker = try BenchSchema.startWorker(conninfo: server.connectionString, schema: Self.schema,
                                                 notifyWorkerArguments,
                                                 environment: ["SWITCHBOARD_BENCH_HOOK": "bench-secret"])
        defer { if worker.isRunning { worker.interrupt(); worker.waitUntilExit() } }
        let deadline = ContinuousClock.now + .seconds(600)
        // A row is done when its job is (snoozed ones wait as scheduled jobs): polling the small
        // jobs table instead of the growing outbox keeps the poll's own cost out of the figure.
        while try await control.query("SELECT count(*) FROM jobs WHERE queue = 'notify' AND kind = 'notify'").scalar(Int.self) > 0 {
            guard worker.isRunning else { throw CommandFailure("the notify worker stopped (status \(worker.terminationStatus))") }
            guard ContinuousClock.now < deadline else { throw CommandFailure("\(channel): rows still unsent after 600 s") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let row = try await control.query("""
            SELECT count(*) FILTER (WHERE status = 'sent'), count(*) FILTER (WHERE status <> 'sent'),
                   extract(epoch FROM max(sent_at) - min(sent_at))::float8
              FROM outbox WHERE id > \(first)
            """)
        let (sent, unsent, span) = (try row[0].decode(Int.self, at: 0), try row[0].decode(Int.self, at: 1), try row[0].decode(Double.self, at: 2))
        guard unsent == 0 else {
            let why = try await control.query("SELECT coalesce(min(last_error), '-') FROM outbox WHERE id > \(first) AND status <> 'sent'").scalar(String.self)
            throw CommandFailure("\(channel): \(unsent) rows not sent: \(why)")
        }
        return Double(sent - 1) / max(span, 0.001)
    }

    /// The latency phase's shop before it opens: a thousand customers with email addresses and
    /// `orders` past orders among them, each with its applied event and its sent confirmation.
    /// A shop taking hundreds of orders a second has such a past, and its tables' statistics say
    /// so; on empty, freshly analyzed tables PostgreSQL plans every lookup as a scan of the whole
    /// table, which grows with each event (O(n²) over a phase) until autovacuum's next analyze.
    static func writeShopHistory(orders: Int, on control: PostgresConnection) async throws {
        try await control.execute("""
            WITH c AS (INSERT INTO customers (store_id, name) SELECT 1, 'Shopper ' || k FROM generate_series(1, 1000) AS k RETURNING id),
                 n AS (SELECT id, row_number() OVER (ORDER BY id) AS k FROM c)
            INSERT INTO customer_identities (store_id, customer_id, kind, value) SELECT 1, id, 'email', 'shopper' || k || '@bench.example' FROM n
            """)
        guard orders > 0 else { return }
        try await control.execute("""
            WITH shoppers AS (SELECT i.customer_id, row_number() OVER (ORDER BY i.customer_id) - 1 AS k
                                FROM customer_identities i WHERE i.value LIKE 'shopper%@bench.example'),
                 placed AS (
                     INSERT INTO orders (store_id, customer_id, number, status, currency, total, placed_at, status_at)
                     SELECT 1, s.customer_id, 'H' || n, 'paid', 'EUR', 40 + n % 300, now() - n * interval '10 seconds', now() - n * interval '10 seconds'
                       FROM generate_series(1, \(orders)) AS n JOIN shoppers s ON s.k = n % 1000
                     RETURNING id, customer_id, number, placed_at),
                 events AS (
                     INSERT INTO order_events (order_number, kind, payload, occurred_at, received_at, status, order_id, processed_at)
                     SELECT number, 'created', '{}', placed_at, placed_at, 'applied', id, placed_at FROM placed),
                 sent AS (
                     INSERT INTO outbox (store_id, customer_id, order_id, kind, purpose, channel, locale, subject, body_text, template_kind,
                                         idempotency_key, status, attempts, created_at, send_after, sending_at, sent_at, provider_id)
                     SELECT 1, customer_id, id, 'order_notice', 'transactional', 'email', 'en', 'Your order ' || number, 'Thank you for your order.',
                            'order_confirmation', 'bench-history:' || id, 'sent', 1, placed_at, placed_at, placed_at, placed_at + interval '1 second',
                            (SELECT min(p.id) FROM notify_providers p WHERE p.channel = 'email')
                       FROM placed
                     RETURNING id, provider_id, sending_at, sent_at)
            INSERT INTO notify_events (outbox_id, occurred_at, event, provider_id, attempt)
            SELECT id, sending_at, 'sending', provider_id, 1 FROM sent UNION ALL SELECT id, sent_at, 'sent', provider_id, 1 FROM sent
            """)
        // The history's events were applied long ago: not jobs for the ingest worker.
        try await control.execute("DELETE FROM jobs WHERE kind = \(HelpdeskJobs.orderEvent.name)")
    }

    /// Order events arrive at `rate` a second, each a new order of a known customer whose
    /// confirmation goes by email: percentiles of event insert → the sink's acceptance.
    private func orderNoticeLatency(_ configuration: PostgresConfiguration, _ control: PostgresConnection,
                                    _ server: PostgresConfiguration) async throws -> BenchLoad.Percentiles {
        try await control.execute("UPDATE notification_rules SET channels = '{email}' WHERE name = 'order confirmation'")
        try await Self.writeShopHistory(orders: history, on: control)
        _ = try await control.simpleQuery(unsafeSQL: "VACUUM (ANALYZE) outbox, notify_events, jobs, order_events, orders, customers, customer_identities")
        let workers = [
            try BenchSchema.startWorker(conninfo: server.connectionString, schema: Self.schema,
                                        ["--queue", "ingest=32", "--log-level", "error"]),
            try BenchSchema.startWorker(conninfo: server.connectionString, schema: Self.schema,
                                        notifyWorkerArguments),
        ]
        defer { for worker in workers where worker.isRunning { worker.interrupt(); worker.waitUntilExit() } }
        try await BenchLoad.waitForWorkers(control, count: 2)
        let producer = try await PostgresConnection.connect(configuration)
        let first = try await control.query("SELECT coalesce(max(id), 0) FROM order_events").scalar(Int64.self)
        var sequence = 0
        let offered = try await BenchLoad.offer(rate: rate, for: .milliseconds(Int64(seconds * 1000))) { count in
            let start = sequence
            sequence += count
            try await producer.execute("""
                INSERT INTO order_events (order_number, kind, payload)
                SELECT 'B' || n, 'created', jsonb_build_object('customer', jsonb_build_object('email', 'shopper' || (1 + n % 1000) || '@bench.example'),
                                                               'total', 40 + n % 300, 'currency', 'EUR',
                                                               'items', jsonb_build_array(jsonb_build_object('name', 'Mug', 'quantity', 1)))
                  FROM generate_series(\(start), \(start + count - 1)) AS n
                """)
        }
        await producer.close()
        try await BenchLoad.drain(control, queue: "ingest")
        try await BenchLoad.drain(control, queue: "notify")
        return try await BenchLoad.percentiles(control, offered: offered, sql: """
            SELECT (extract(epoch FROM o.sent_at - e.received_at) * 1000000)::int8
              FROM order_events e JOIN outbox o ON o.order_id = e.order_id AND o.template_kind = 'order_confirmation'
             WHERE e.id > \(first) AND o.status = 'sent'
            """)
    }
}

/// postfix's smtp-source and wrk, the references, installed when missing.
enum Tools {
    static func install() throws {
        let missing = [("/usr/sbin/smtp-sink", "postfix"), ("/usr/sbin/smtp-source", "postfix"), ("/usr/bin/wrk", "wrk")]
            .filter { !FileManager.default.isExecutableFile(atPath: $0.0) }.map(\.1)
        guard !missing.isEmpty else { return }
        let packages = Array(Set(missing)).sorted()
        FileHandle.standardError.write(Data("installing \(packages.joined(separator: " ")) for the references…\n".utf8))
        let outcome = try run("/usr/bin/env", ["DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends"] + packages)
        guard outcome.status == 0 else {
            throw CommandFailure("could not install \(packages.joined(separator: " ")) (run as root, or install them): \(outcome.output.suffix(300))")
        }
    }

    /// smtp-source: `messages` messages of `size` bytes over `connections` kept connections; messages a second.
    static func smtpSource(port: Int, connections: Int, messages: Int, size: Int) throws -> Double {
        let started = ContinuousClock.now
        let outcome = try run("/usr/sbin/smtp-source", ["-d", "-s", String(connections), "-l", String(size), "-m", String(messages),
                                                        "-f", "shop@bench.example", "-t", "customer@bench.example", "127.0.0.1:\(port)"])
        let elapsed = (ContinuousClock.now - started).seconds
        guard outcome.status == 0 else { throw CommandFailure("smtp-source failed: \(outcome.output.suffix(300))") }
        return Double(messages) / elapsed
    }

    /// wrk POSTing `size` bytes of JSON at `connections` connections for `seconds`; requests a second.
    static func wrk(port: Int, connections: Int, seconds: Double, size: Int) throws -> Double {
        let script = FileManager.default.temporaryDirectory.appending(path: "switchboard-wrk-\(getpid()).lua")
        let body = "{\\\"text\\\": \\\"" + String(repeating: "x", count: max(1, size - 12)) + "\\\"}"
        try """
            wrk.method = "POST"
            wrk.body = "\(body)"
            wrk.headers["Content-Type"] = "application/json"
            """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let outcome = try run("/usr/bin/wrk", ["-t", "2", "-c", String(connections), "-d", "\(Int(max(1, seconds)))s", "-s", script.path,
                                               "http://127.0.0.1:\(port)/messages"])
        guard outcome.status == 0, let line = outcome.output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let rate = Double(line.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)) else {
            throw CommandFailure("wrk gave no Requests/sec: \(outcome.output.suffix(300))")
        }
        return rate
    }

    /// Runs `tool` and collects its output, as the other benchmarks run pgbench.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let outcome = try PostgresTools.locate().runClient(tool, arguments)
        return (outcome.status, outcome.output)
    }
}

/// postfix's smtp-sink on a free loopback port: accepts every message and keeps none.
final class SMTPSink: @unchecked Sendable {
    let port: Int
    private let process: Process

    static func start() throws -> SMTPSink {
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/smtp-sink")
        // Root must give up its privileges; a backlog deep enough for every connection.
        process.arguments = (getuid() == 0 ? ["-u", "nobody"] : []) + ["127.0.0.1:\(port)", "1024"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        Thread.sleep(forTimeInterval: 0.3)
        guard process.isRunning else { throw CommandFailure("smtp-sink did not start on port \(port)") }
        return SMTPSink(port: port, process: process)
    }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    func stop() {
        // SIGKILL: a child of a process that ignores SIGTERM (for graceful shutdown) ignores it too.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
