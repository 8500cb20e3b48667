import CommandSupport
import SampleData
import SwitchboardApp
import ArgumentParser
import Foundation
import Ingest
import Categories
import Postgres

/// `bench ingest`: sustained inbound messages per second through ingest worker processes, and
/// the insert → conversation latency at a steady offered rate.
struct IngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Inbound messages per second through ingest (1 and 2 worker processes) and insert → conversation latency.",
        discussion: """
            Works in schema switchboard_bench_ingest (dropped and recreated). Traffic is a channel mix \
            (30 % email as MIME multipart, then SMS, chat, WhatsApp, web form, phone logs) in six languages \
            from --customers simulated customers, some with orders, inserted the way integrations do; \
            each customer writes 80 % of the time on a channel of their own (drawn from the mix). \
            For 1 and then 2 `switchboard worker --queue ingest=N` processes: throughput keeps a backlog \
            and counts messages ingested per second over --seconds; latency then offers \
            min(--rate, 0.8 × that throughput) messages/s for --seconds and reports percentiles of \
            processed_at − received_at, both stamped by the database; with 2 processes, again at \
            --light-rate messages/s. Each latency phase starts on freshly vacuumed and analyzed tables, \
            as pgbench's runs do. --ceiling also runs \
            ../shared/bench/queue-ceiling.sh as the reference for this machine at this moment.

            --model-comparison measures instead what the category model costs: the throughput of one \
            worker process without a model and with one (trained on the starting corpus, stored in the \
            schema), in --pairs interleaved pairs in alternating order after an uncounted warm-up phase; \
            each phase starts a fresh worker on freshly vacuumed tables, with customers of its own.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Seconds per measured phase.") var seconds = 20.0
    @Option(help: "Ingest jobs at a time per worker process (messages waiting for a batch count).") var concurrency = 128
    @Option(help: "Inbound messages per ingest transaction at most (worker --ingest-batch).") var batch = IngestWorker.defaultBatchSize
    @Option(help: "Ingest batches at once per worker process (worker --ingest-lanes).") var lanes = IngestWorker.defaultLanes
    @Option(help: "Offered messages per second for the latency phase (capped at 0.8 × throughput).") var rate = 3_000.0
    @Option(name: .customLong("light-rate"), help: "Offered messages per second for the light-load latency figure (2 processes).") var lightRate = 200.0
    @Option(help: "Simulated customers.") var customers = 20_000
    @Option(help: "Customers with an order (for the where-is-my-order answers).") var orders = 5_000
    @Flag(help: "Also run the pgbench ceiling script and print ratios.") var ceiling = false
    @Option(name: .customLong("ceiling-script"), help: "Path of queue-ceiling.sh.") var ceilingScript = "../shared/bench/queue-ceiling.sh"
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Flag(name: .customLong("model-comparison"), help: "Only compare one worker's throughput without and with a category model.")
    var modelComparison = false
    @Option(help: "Interleaved pairs (without, with) for --model-comparison.") var pairs = 3

    static let schema = "switchboard_bench_ingest"

    func run() async throws {
        let server = try database.resolveServer()
        var figures: [(String, Double)] = []
        let reference = ceiling ? try QueueCeiling.run(script: ceilingScript, conninfo: server.connectionString, seconds: 10) : nil

        let (configuration, control) = try await BenchSchema.recreate(Self.schema, on: server)
        try await seedOrders(control)

        let traffic = Traffic(customers: customers)
        if modelComparison {
            figures = try await compareModel(server, configuration, control, traffic)
            await control.close()
            BenchOutput.print(figures, json: json, title: "switchboard bench ingest --model-comparison (\(server.target), schema \(Self.schema))")
            return
        }
        var latencies: [Int: BenchLoad.Percentiles] = [:]
        var light: BenchLoad.Percentiles?
        for processes in [1, 2] {
            let workers = try (0..<processes).map { _ in try startWorker(server.connectionString) }
            defer { for worker in workers where worker.isRunning { worker.interrupt() } }
            try await waitForWorkers(control, count: processes)
            let throughput = try await measureThroughput(configuration, control, traffic)
            figures.append((processes == 1 ? "ingest_msgs_per_s" : "ingest_msgs_per_s_2proc", throughput))
            let offered = min(rate, 0.8 * throughput)
            latencies[processes] = try await measureLatency(configuration, control, traffic, rate: offered)
            if processes == 2 { light = try await measureLatency(configuration, control, traffic, rate: min(lightRate, offered)) }
            for worker in workers { worker.interrupt() }
            for worker in workers { worker.waitUntilExit() }
        }
        let best = latencies[2]!
        figures.append(("p99_ms", best.p99))
        figures.append(("p50_ms", best.p50))
        figures.append(("max_ms", best.max))
        figures.append(("latency_offered_msgs_per_s", best.offered))
        if let light {
            figures.append(("p99_ms_light", light.p99))
            figures.append(("p50_ms_light", light.p50))
            figures.append(("light_offered_msgs_per_s", light.offered))
        }
        figures.append(("p99_ms_1proc", latencies[1]!.p99))
        figures.append(("latency_offered_msgs_per_s_1proc", latencies[1]!.offered))
        let mix = try await control.query("""
            SELECT count(*) FILTER (WHERE channel = 'email')::float8 / greatest(count(*), 1),
                   count(*) FILTER (WHERE status = 'processed')::float8 / greatest(count(*), 1)
              FROM inbound_messages
            """)
        figures.append(("email_share", try mix[0].decode(Double.self, at: 0)))
        figures.append(("processed_share", try mix[0].decode(Double.self, at: 1)))
        figures.append(("auto_answered", Double(try await control.query("SELECT count(*) FROM outbox WHERE kind = 'auto_answer'").scalar(Int.self))))
        figures.append(("conversations", Double(try await control.query("SELECT count(*) FROM conversations").scalar(Int.self))))
        if let reference {
            figures.append(("ceiling_cycle_jobs_per_s", reference.cycle))
            figures.append(("ingest_2proc_ratio_to_ceiling_cycle", figures[1].1 / reference.cycle))
        }
        await control.close()
        BenchOutput.print(figures, json: json, title: "switchboard bench ingest (\(server.target), schema \(Self.schema))")
    }

    /// One worker's throughput without a category model and with one, in interleaved pairs; the
    /// model is trained once on the starting corpus and stored again before each phase with it.
    private func compareModel(_ server: PostgresConfiguration, _ configuration: PostgresConfiguration, _ control: PostgresConnection,
                              _ traffic: Traffic) async throws -> [(String, Double)] {
        let trained = try await control.run { connection in try CategoryTraining().run(store: false, on: connection) }
        var without: [Double] = [], with: [Double] = []
        // A first phase warms the tables and caches up and is not counted; then the pairs, in
        // alternating order (without-with, with-without, …), so that a drift of the machine's
        // speed during the run favours neither side.
        let phases = [false] + (0..<pairs).flatMap { $0 % 2 == 0 ? [false, true] : [true, false] }
        var byModel = (decided: 0, conversations: 0)
        for (phase, useModel) in phases.enumerated() {
            try await control.execute("DELETE FROM category_models")
            // Each phase starts on freshly vacuumed tables, as the latency phases do.
            try await vacuum(control)
            if useModel { _ = try await control.run { connection in try CategoryTraining.store(trained, on: connection) } }
            let worker = try startWorker(server.connectionString)
            defer { if worker.isRunning { worker.interrupt() } }
            try await waitForWorkers(control, count: 1)
            let before = try await control.query("SELECT coalesce(max(id), 0) FROM conversations").scalar(Int64.self)
            // New customers each phase: conversations an earlier phase categorised (or left
            // uncategorised) would otherwise change the work this one does.
            var customers = traffic
            customers.firstCustomer = phase * traffic.customers
            let throughput = try await measureThroughput(configuration, control, customers)
            worker.interrupt()
            worker.waitUntilExit()
            if phase == 0 { continue }
            if useModel {
                with.append(throughput)
                let row = try await control.query("""
                    SELECT count(*) FILTER (WHERE category_decided_by = 'model'), count(*) FROM conversations WHERE id > \(before)
                    """)
                byModel.decided += try row[0].decode(Int.self, at: 0)
                byModel.conversations += try row[0].decode(Int.self, at: 1)
            } else {
                without.append(throughput)
            }
        }
        let ratios = zip(with, without).map { $0 / $1 }
        var figures: [(String, Double)] = []
        for (index, (a, b)) in zip(without, with).enumerated() {
            figures.append(("ingest_msgs_per_s_no_model_\(index + 1)", a))
            figures.append(("ingest_msgs_per_s_model_\(index + 1)", b))
        }
        figures.append(("model_to_no_model_ratio_mean", ratios.reduce(0, +) / Double(max(ratios.count, 1))))
        figures.append(("model_to_no_model_ratio_min", ratios.min() ?? 0))
        figures.append(("prediction_median_us", trained.medianPredictionMicroseconds))
        // Of the conversations the phases with a model created.
        figures.append(("decided_by_model_share", Double(byModel.decided) / Double(max(byModel.conversations, 1))))
        return figures
    }

    /// Simulated shoppers and what they write.
    struct Traffic: Sendable {
        let customers: Int
        /// The number of the first simulated customer: phases that must not share conversations
        /// (one phase's categories would spare the next the work) take customers of their own.
        var firstCustomer = 0

        /// `count` rows as (channel, external id, payload text).
        func batch(_ count: Int, startingAt sequence: Int) -> (channels: [String], ids: [String], payloads: [String]) {
            var channels: [String] = [], ids: [String] = [], payloads: [String] = []
            for offset in 0..<count {
                let n = sequence + offset
                let customer = firstCustomer + Int.random(in: 0..<customers)
                // People mostly write the way they wrote before: 80 % of a customer's messages use
                // their own channel (drawn once from the mix), the rest any channel of the mix.
                let home = InboundSamples.channel(for: Double(customer &* 2_654_435_761 % 1_000_003) / 1_000_003)
                let channel = Double.random(in: 0..<1) < 0.8 ? home : InboundSamples.channel(for: Double.random(in: 0..<1))
                let text = InboundSamples.texts.randomElement()!
                channels.append(channel)
                ids.append("bench-\(n)")
                payloads.append(String(decoding: InboundSamples.payload(channel: channel, customer: customer, text: text, sequence: n), as: UTF8.self))
            }
            return (channels, ids, payloads)
        }
    }

    private func insert(_ batch: (channels: [String], ids: [String], payloads: [String]), on connection: isolated PostgresConnection) throws {
        try connection.execute("""
            INSERT INTO inbound_messages (channel, external_id, payload)
            SELECT c, e, convert_to(p, 'UTF8') FROM unnest(\(batch.channels), \(batch.ids), \(batch.payloads)) AS t(c, e, p)
            """)
    }

    private func seedOrders(_ control: PostgresConnection) async throws {
        try await control.execute("""
            INSERT INTO order_events (order_number, kind, payload)
            SELECT (100000 + n)::text, 'shipped',
                   jsonb_build_object('customer', jsonb_build_object('email', 'customer' || n || '@example.com',
                                                                     'phone', '+38067' || lpad(n::text, 7, '0')),
                                      'total', 50 + n % 900, 'currency', 'UAH', 'carrier', 'Nova Poshta',
                                      'tracking_url', 'https://tracking.example/' || n)
              FROM generate_series(0, \(orders - 1)) AS n
            """)
    }

    private func startWorker(_ conninfo: String) throws -> Process {
        try BenchSchema.startWorker(conninfo: conninfo, schema: Self.schema,
                                    ["--queue", "ingest=\(concurrency)", "--ingest-batch", String(batch), "--ingest-lanes", String(lanes),
                                     "--log-level", "error"])
    }

    private func waitForWorkers(_ control: PostgresConnection, count: Int) async throws {
        // Order events queued at seeding go first; the clock starts on an empty queue.
        try await BenchLoad.waitForWorkers(control, count: count) {
            try await control.query("SELECT count(*) FROM order_events WHERE status = 'received'").scalar(Int.self) == 0
        }
    }

    /// Keeps 2,000 messages waiting and counts those ingested per second.
    private func measureThroughput(_ configuration: PostgresConfiguration, _ control: PostgresConnection, _ traffic: Traffic) async throws -> Double {
        let producer = try await PostgresConnection.connect(configuration)
        var sequence = try await control.query("SELECT count(*) FROM inbound_messages").scalar(Int.self)
        let (window, elapsed) = try await BenchLoad.keepBacklog(control, queue: "ingest", for: .milliseconds(Int64(seconds * 1000))) { count in
            let batch = traffic.batch(count, startingAt: sequence)
            try await producer.run { connection in try insert(batch, on: connection) }
            sequence += count
        }
        let done = try await control.query("""
            SELECT count(*) FROM inbound_messages WHERE processed_at >= \(window) AND processed_at < \(window)::timestamptz + \(elapsed) * interval '1 second'
            """).scalar(Int.self)
        await producer.close()
        try await BenchLoad.drain(control, queue: "ingest")
        return Double(done) / elapsed
    }

    /// Vacuums and analyzes the schema's tables, as pgbench does before it measures: the phase
    /// before leaves a fresh schema's every table due for autovacuum at once, which would then
    /// share the two cores with the measured seconds instead of happening as it does in a
    /// database that has run for a while (a few tables at a time).
    private func vacuum(_ control: PostgresConnection) async throws {
        let tables = try await control.query("""
            SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables WHERE schemaname = current_schema()
            """).scalar(String.self)
        _ = try await control.simpleQuery(unsafeSQL: "VACUUM (ANALYZE) \(tables)")
    }

    /// Offers `rate` messages per second in 10 ms batches; percentiles of the database's own
    /// received → processed times.
    private func measureLatency(_ configuration: PostgresConfiguration, _ control: PostgresConnection, _ traffic: Traffic,
                                rate: Double) async throws -> BenchLoad.Percentiles {
        try await vacuum(control)
        let producer = try await PostgresConnection.connect(configuration)
        let first = try await control.query("SELECT coalesce(max(id), 0) FROM inbound_messages").scalar(Int64.self)
        var sequence = Int(first) + 1_000_000
        let offered = try await BenchLoad.offer(rate: rate, for: .milliseconds(Int64(seconds * 1000))) { count in
            let batch = traffic.batch(count, startingAt: sequence)
            try await producer.run { connection in try insert(batch, on: connection) }
            sequence += count
        }
        await producer.close()
        try await BenchLoad.drain(control, queue: "ingest")
        return try await BenchLoad.percentiles(control, offered: offered, sql: """
            SELECT (extract(epoch FROM processed_at - received_at) * 1000000)::int8 FROM inbound_messages
             WHERE id > \(first) AND processed_at IS NOT NULL
            """)
    }
}
