import CommandSupport
import SampleData
import SwitchboardApp
import ArgumentParser
import Foundation
import Histogram
import JobQueue
import Postgres
import Synchronization

/// `bench queue`: the job queue's throughput and latency, optionally against the SQL ceiling
/// measured with pgbench in the same run.
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Enqueue, drain, steady-state, pickup latency and bloat figures for the job queue.",
        discussion: """
            Works in schema switchboard_bench (dropped and recreated). A separate `switchboard worker` \
            process drains queue 'bench'. drain: --jobs no-op jobs enqueued into a paused queue, then \
            resumed and timed until gone. enqueue: the same jobs enqueued in batches from --producers \
            connections. steady: a producer and the worker together. pickup (measured first, on a fresh table): enqueue commit to handler \
            start at --pickup-rate jobs/s (in-process worker). bloat: the drain figure again after \
            --bloat-jobs have passed through, divided by the first. --ceiling also runs \
            ../shared/bench/queue-ceiling.sh and prints each figure's ratio to it. --pooler-url runs \
            the worker, the producers and the pickup worker through a transaction pooler (PgBouncer \
            with pool_mode = transaction), polling every --poll-interval since they cannot LISTEN; \
            its database must put schema switchboard_bench first on the search path (connect_query). \
            The schema's setup, the progress counts and the ceiling stay direct.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Jobs for the enqueue and drain figures.") var jobs = 200_000
    @Option(name: .customLong("bloat-jobs"), help: "Jobs passed through before the second drain (0 skips bloat).") var bloatJobs = 2_000_000
    @Option(name: .customLong("steady-seconds"), help: "Seconds of producer and worker together.") var steadySeconds = 30.0
    @Option(name: .customLong("pickup-jobs"), help: "Jobs for the pickup latency figure.") var pickupJobs = 2_000
    @Option(name: .customLong("pickup-rate"), help: "Jobs per second for the pickup figure.") var pickupRate = 200.0
    @Option(help: "Worker concurrency on the bench queue.") var concurrency = 1_000
    @Option(help: "Worker claim batch limit.") var batch = 500
    @Option(help: "Enqueue connections.") var producers = 2
    @Option(name: .customLong("enqueue-batch"), help: "Jobs per enqueue statement.") var enqueueBatch = 1_000
    @Flag(help: "Also run the pgbench ceiling script and print ratios.") var ceiling = false
    @Option(name: .customLong("ceiling-script"), help: "Path of queue-ceiling.sh.") var ceilingScript = "../shared/bench/queue-ceiling.sh"
    @Option(name: .customLong("ceiling-seconds"), help: "Seconds per ceiling figure.") var ceilingSeconds = 10
    @Flag(help: "Print one JSON object instead of a table.") var json = false
    @Option(name: .customLong("pooler-url"), help: ArgumentHelp("A transaction pooler's URL or conninfo for the worker and producers.", valueName: "url")) var poolerURL: String?
    @Option(name: .customLong("poll-interval"), help: "Seconds between polls of a queue through --pooler-url.") var pollInterval = 0.05

    static let schema = "switchboard_bench"
    static let queue = "bench"

    func run() async throws {
        let server = try database.resolveServer()
        var figures: [(String, Double)] = []
        var reference: (insert: Double, cycle: Double)?
        if ceiling { reference = try QueueCeiling.run(script: ceilingScript, conninfo: server.connectionString, seconds: ceilingSeconds) }

        let (direct, control) = try await BenchSchema.recreate(Self.schema, on: server)
        try await control.run { connection in _ = try JobAdmin.pause(queue: Self.queue, on: connection) }
        var configuration = direct
        if let poolerURL { configuration = try await Self.pooled(poolerURL) }

        let worker = try startWorker(server.connectionString)
        defer { if worker.isRunning { worker.interrupt() } }
        try await waitForWorker(control)

        // Pickup first, on a fresh table: later phases leave dead tuples whose VACUUM would share
        // the machine with it.
        let pickup = try await pickupLatency(configuration)

        let first = try await enqueueThenDrain(configuration, control)
        figures.append(("enqueue_jobs_per_s", first.enqueue))
        figures.append(("drain_jobs_per_s", first.drain))

        let steady = try await steadyState(configuration, control)
        figures.append(("steady_jobs_per_s", steady.rate))
        figures.append(("steady_backlog_start", Double(steady.backlog.first ?? 0)))
        figures.append(("steady_backlog_end", Double(steady.backlog.last ?? 0)))
        figures.append(("steady_backlog_trend_per_s", steady.trend))
        figures.append(("pickup_p50_ms", pickup.p50))
        figures.append(("pickup_p99_ms", pickup.p99))

        if bloatJobs > 0 {
            try await passThrough(configuration, control, count: bloatJobs)
            let again = try await enqueueThenDrain(configuration, control)
            figures.append(("bloat_drain_jobs_per_s", again.drain))
            figures.append(("bloat_ratio", again.drain / first.drain))
        }
        if let reference {
            figures.append(("ceiling_insert_jobs_per_s", reference.insert))
            figures.append(("ceiling_cycle_jobs_per_s", reference.cycle))
            figures.append(("enqueue_ratio_to_ceiling_insert", first.enqueue / reference.insert))
            figures.append(("drain_ratio_to_ceiling_cycle", first.drain / reference.cycle))
            figures.append(("steady_ratio_to_ceiling_cycle", steady.rate / reference.cycle))
        }

        worker.interrupt()
        worker.waitUntilExit()
        await control.close()
        let through = poolerURL == nil ? "" : ", worker and producers through the pooler at \(configuration.target)"
        BenchOutput.print(figures, json: json, title: "switchboard bench queue (\(server.target), schema \(Self.schema)\(through))")
    }

    /// The pooler's configuration, once it is shown to reach the bench schema.
    private static func pooled(_ url: String) async throws -> PostgresConfiguration {
        let configuration = try PostgresConfiguration(url).pooled(.transaction)
        let connection = try await PostgresConnection.connect(configuration)
        let schema = try await connection.query("SELECT current_schema()").first?.decode(String?.self, at: 0) ?? nil
        await connection.close()
        guard schema == Self.schema else {
            throw CommandFailure("the pooler's database has \(schema.map { "schema \($0)" } ?? "no schema") first on its search path, not \(Self.schema): give it connect_query='SET search_path = \(Self.schema)' in PgBouncer's [databases]")
        }
        return configuration
    }

    // MARK: Parts

    private func startWorker(_ conninfo: String) throws -> Process {
        let arguments = ["--queue", "\(Self.queue)=\(concurrency)", "--batch", String(batch), "--log-level", "warning"]
        if let poolerURL {
            return try BenchSchema.startWorker(conninfo: poolerURL, schema: nil,
                                               arguments + ["--transaction-pooling", "--poll-interval", String(pollInterval)])
        }
        return try BenchSchema.startWorker(conninfo: conninfo, schema: Self.schema, arguments)
    }

    private func waitForWorker(_ control: PostgresConnection) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if try await control.run({ try JobAdmin.registeredWorkers(on: $0) }) > 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CommandFailure("the bench worker process did not register within 30 s")
    }

    private func noopJobs(_ count: Int) throws -> [NewJob] {
        let job = try NewJob(SwitchboardKinds.noop, .init(), JobOptions(queue: Self.queue))
        return Array(repeating: job, count: count)
    }

    /// Enqueues `count` jobs from `producers` connections in batches; returns jobs per second.
    private func enqueue(_ configuration: PostgresConfiguration, count: Int) async throws -> Double {
        let perProducer = count / producers
        let batchSize = enqueueBatch
        let batch = try noopJobs(batchSize)
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for producer in 0..<producers {
                let share = producer == producers - 1 ? count - perProducer * (producers - 1) : perProducer
                group.addTask {
                    let connection = try await PostgresConnection.connect(configuration)
                    try await connection.run { connection in
                        var left = share
                        while left > 0 {
                            let size = min(left, batchSize)
                            _ = try Jobs.enqueue(many: size == batchSize ? batch : Array(batch.prefix(size)), on: connection)
                            left -= size
                        }
                    }
                    await connection.close()
                }
            }
            try await group.waitForAll()
        }
        return Double(count) / (ContinuousClock.now - started).seconds
    }

    private func backlog(_ control: PostgresConnection) async throws -> Int {
        try await control.run { try JobAdmin.count(queue: Self.queue, on: $0) }
    }

    /// Jobs of the bench queue completed so far, from the workers' own counts: a tiny table, so
    /// polling it every few milliseconds costs the server nothing (counting the jobs table
    /// would scan its dead tuples and distort the very figure being measured).
    private func completedSoFar(_ control: PostgresConnection) async throws -> Int {
        try await control.run { try JobAdmin.completedLastHour(queue: Self.queue, on: $0) }
    }

    private func waitUntilCompleted(_ control: PostgresConnection, total: Int) async throws {
        while try await completedSoFar(control) < total {
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for the backlog to drain (between figures, not timed).
    private func waitUntilEmpty(_ control: PostgresConnection) async throws {
        while try await backlog(control) > 0 { try await Task.sleep(for: .milliseconds(200)) }
    }

    private func enqueueThenDrain(_ configuration: PostgresConfiguration, _ control: PostgresConnection) async throws -> (enqueue: Double, drain: Double) {
        try await control.run { connection in _ = try JobAdmin.pause(queue: Self.queue, on: connection) }
        let enqueueRate = try await enqueue(configuration, count: jobs)
        // Statistics only: dead tuples stay for autovacuum, so the bloat figure is honest.
        try await control.execute("ANALYZE jobs")
        let target = try await completedSoFar(control) + jobs
        let started = ContinuousClock.now
        try await control.run { connection in _ = try JobAdmin.resume(queue: Self.queue, on: connection) }
        try await waitUntilCompleted(control, total: target)
        return (enqueueRate, Double(jobs) / (ContinuousClock.now - started).seconds)
    }

    private func steadyState(_ configuration: PostgresConfiguration, _ control: PostgresConnection) async throws -> (rate: Double, backlog: [Int], trend: Double) {
        let duration = Duration.milliseconds(Int64(steadySeconds * 1000))
        let producer = try await PostgresConnection.connect(configuration)
        let batch = try noopJobs(100)
        let startBacklog = try await backlog(control)
        let started = ContinuousClock.now
        async let produced: Int = producer.run { connection in
            var count = 0
            while ContinuousClock.now - started < duration {
                _ = try Jobs.enqueue(many: batch, on: connection)
                count += batch.count
            }
            return count
        }
        var samples = [startBacklog]
        while ContinuousClock.now - started < duration {
            try await Task.sleep(for: .seconds(min(5, steadySeconds / 6)))
            samples.append(try await backlog(control))
        }
        let enqueued = try await produced
        let elapsed = (ContinuousClock.now - started).seconds
        let endBacklog = try await backlog(control)
        samples.append(endBacklog)
        await producer.close()
        let completed = enqueued - (endBacklog - startBacklog)
        try await waitUntilEmpty(control)
        return (Double(completed) / elapsed, samples, Double(endBacklog - startBacklog) / elapsed)
    }

    /// Commit-to-start latency, measured in one process on one clock: the producer notes when
    /// each enqueue's commit returned, the handler when it starts.
    private func pickupLatency(_ configuration: PostgresConfiguration) async throws -> (p50: Double, p99: Double) {
        struct Probe: Codable, Sendable {}
        let kind = JobKind<Probe>("bench.pickup")
        let starts = Mutex<[Int64: ContinuousClock.Instant]>([:])
        var registry = JobRegistry()
        registry.register(kind) { _, context in
            let now = ContinuousClock.now
            starts.withLock { $0[context.id] = now }
        }
        var settings = JobWorkerConfiguration(queues: ["pickup": 16])
        settings.participatesInLeadership = false
        if configuration.pooling == .transaction { settings.pollInterval = .milliseconds(Int64(pollInterval * 1000)) }
        let worker = JobWorker(database: configuration, configuration: settings, registry: registry)
        let task = Task { try await worker.run() }
        let producer = try await PostgresConnection.connect(configuration)
        try await Task.sleep(for: .milliseconds(500))
        var commits: [Int64: ContinuousClock.Instant] = [:]
        let interval = Duration.milliseconds(Int64(1000 / pickupRate))
        let job = try NewJob(kind, Probe(), JobOptions(queue: "pickup"))
        var next = ContinuousClock.now
        for _ in 0..<pickupJobs {
            let outcome = try await producer.run { connection in try Jobs.enqueue(job, on: connection) }
            if let id = outcome.id { commits[id] = .now }
            next += interval
            try await Task.sleep(until: next)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while starts.withLock({ $0.count }) < commits.count, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        worker.beginDraining()
        try await task.value
        await producer.close()
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        let started = starts.withLock { $0 }
        for (id, commit) in commits {
            guard let start = started[id] else { throw CommandFailure("pickup job \(id) never started") }
            // A handler can start before the producer's call returns; that counts as zero.
            histogram.record(UInt64(max(0, (start - commit).seconds * 1_000_000)))
        }
        return (Double(histogram.valueAtPercentile(50)) / 1000, Double(histogram.valueAtPercentile(99)) / 1000)
    }

    /// Sends `count` jobs through the running worker (producers and worker together).
    private func passThrough(_ configuration: PostgresConfiguration, _ control: PostgresConnection, count: Int) async throws {
        let target = try await completedSoFar(control) + count
        var left = count
        while left > 0 {
            let chunk = min(left, 200_000)
            _ = try await enqueue(configuration, count: chunk)
            left -= chunk
        }
        try await waitUntilCompleted(control, total: target)
    }
}
