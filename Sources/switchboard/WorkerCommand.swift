import CommandSupport
import ArgumentParser
import Foundation
import Ingest
import Notify
import JobQueue
import Logging
import Postgres
import Routing
import Server
import SwitchboardApp

/// `switchboard worker`: runs job queues until SIGTERM/SIGINT.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs from one or more queues until SIGTERM or SIGINT.",
        discussion: """
            Each --queue NAME=N runs queue NAME with N jobs at a time. On SIGTERM/SIGINT the worker stops \
            claiming, lets running jobs finish within --shutdown-grace, gives the rest back without counting \
            the attempt, and exits 0. Migrations are applied first unless --no-migrate.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var options: WorkerOptions
    @OptionGroup var logs: LogOptions

    @Option(name: .customLong("http-port"), help: "Serve /healthz, /readyz and /metrics on this port (0: any free port, printed at start); none when unset.")
    var httpPort: Int?

    @Option(name: .customLong("http-host"), help: "Address of --http-port (0.0.0.0 for every interface).")
    var httpHost = "127.0.0.1"

    func validate() throws {
        if let httpPort, !(0...65535).contains(httpPort) { throw ValidationError("--http-port must be 0…65535, got \(httpPort)") }
        if !(options.notifyGather >= 0) { throw ValidationError("--notify-gather-ms must be 0 or more, got \(options.notifyGather)") }
        // Every duration converts (the conversion throws for a value no Duration holds).
        _ = try options.workerConfiguration()
        _ = try options.notifyGatherDuration()
        _ = try options.routingSweepInterval()
    }

    func run() async throws {
        try logs.bootstrap()
        var configuration = WorkerRoleConfiguration(database: try database.resolve(), worker: try options.workerConfiguration())
        configuration.migrate = !options.noMigrate
        configuration.ingest.batchSize = options.ingestBatch
        configuration.ingest.lanes = options.ingestLanes
        configuration.routing.batchSize = options.routeBatch
        configuration.routing.lanes = options.routeLanes
        configuration.notify.batchSize = options.notifyBatch
        configuration.notify.lanes = options.notifyLanes
        configuration.notify.gather = try options.notifyGatherDuration()
        configuration.routing.sweepInterval = try options.routingSweepInterval()
        let metrics = ProcessMetrics(role: "worker", version: SwitchboardBuild.version)
        metrics.bootstrap()
        if configuration.migrate, let schema = database.effectiveSchema {
            let connection = try await PostgresConnection.connect(configuration.database)
            defer { Task { await connection.close() } }
            try await connection.execute("CREATE SCHEMA IF NOT EXISTS \(identifier: schema)")
        }
        let role = try await WorkerRole.prepare(configuration)
        guard let httpPort else { return try await role.run() }
        let host = httpHost
        let probes = ProbeServer(database: configuration.database, host: host, port: httpPort, metrics: metrics) { port in
            FileHandle.standardOutput.write(Data("switchboard worker: probes and metrics on \(host):\(port)\n".utf8))
        }
        try await role.run(first: probes.first, last: probes.last)
    }
}

/// The worker's settings as arguments.
struct WorkerOptions: ParsableArguments {
    @Option(name: .customLong("queue"), help: ArgumentHelp("Queue and concurrency, NAME=N (repeatable; default: default=10).", valueName: "name=n"))
    var queues: [String] = []

    @Option(help: "Jobs claimed per statement at most.")
    var batch = 100

    @Option(name: .customLong("poll-interval"), help: "Seconds between polls of an idle queue.")
    var pollInterval = 1.0

    @Flag(name: .customLong("poll-only"), help: "Never LISTEN; only poll (implied by --transaction-pooling).")
    var pollOnly = false

    @Option(help: "Seconds a claimed job stays leased without a heartbeat.")
    var lease = 15.0

    @Option(name: .customLong("shutdown-grace"), help: "Seconds running jobs get to finish at shutdown.")
    var shutdownGrace = 10.0

    @Option(name: .customLong("leader-lease"), help: "Seconds the leader's lease lasts without renewal.")
    var leaderLease = 5.0

    @Option(name: .customLong("retain-completed"), help: "Seconds to keep completed jobs (0: delete at once).")
    var retainCompleted = 0.0

    @Option(name: .customLong("retain-dead"), help: "Seconds to keep dead and cancelled jobs.")
    var retainDead = 7.0 * 24 * 3600

    @Option(name: .customLong("vacuum-threshold"), help: "Dead tuples in jobs at which the leader runs VACUUM (0: only autovacuum).")
    var vacuumThreshold = 100_000

    @Flag(name: .customLong("no-leader"), help: "Never become the leader (maintenance and cron run elsewhere).")
    var noLeader = false

    @Option(name: .customLong("ingest-batch"), help: "Inbound messages ingested in one transaction at most.")
    var ingestBatch = IngestWorker.defaultBatchSize

    @Option(name: .customLong("ingest-lanes"), help: "Ingest batches running at once (one connection each).")
    var ingestLanes = IngestWorker.defaultLanes

    @Option(name: .customLong("route-batch"), help: "Conversations routed in one transaction at most.")
    var routeBatch = RoutingWorker.defaultBatchSize

    @Option(name: .customLong("route-lanes"), help: "Routing batches running at once (one connection each).")
    var routeLanes = RoutingWorker.defaultLanes

    @Option(name: .customLong("notify-batch"), help: "Outbox rows sent in one batch at most (begun and recorded in one statement each).")
    var notifyBatch = NotifyWorker.defaultBatchSize

    @Option(name: .customLong("notify-lanes"), help: "Notify batches running at once.")
    var notifyLanes = NotifyWorker.defaultLanes

    @Option(name: .customLong("notify-gather-ms"),
            help: "Milliseconds a short notify batch waits for more rows while another batch is under way (0: starts at once).")
    var notifyGather = NotifyWorker.defaultGather / .milliseconds(1)

    @Option(name: .customLong("routing-sweep"), help: "Seconds between offers of waiting conversations to agents with room (route queue; notifications act at once).")
    var routingSweep = 5.0

    @Flag(name: .customLong("no-migrate"), help: "Do not apply migrations at start.")
    var noMigrate = false

    func workerConfiguration() throws -> JobWorkerConfiguration {
        var queueMap: [String: Int] = [:]
        for spec in queues.isEmpty ? ["default=10"] : queues {
            let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let concurrency = Int(parts[1]), concurrency >= 1 else {
                throw ValidationError("--queue takes NAME=N with N at least 1, got '\(spec)'")
            }
            queueMap[parts[0]] = concurrency
        }
        var configuration = JobWorkerConfiguration(queues: queueMap)
        configuration.claimBatchLimit = batch
        configuration.pollInterval = try Self.duration(seconds: pollInterval, "poll-interval")
        configuration.listen = !pollOnly
        configuration.lease = try Self.duration(seconds: lease, "lease")
        configuration.shutdownGrace = try Self.duration(seconds: shutdownGrace, "shutdown-grace")
        configuration.leaderLease = try Self.duration(seconds: leaderLease, "leader-lease")
        configuration.retainCompleted = try Self.duration(seconds: retainCompleted, "retain-completed")
        configuration.retainDead = try Self.duration(seconds: retainDead, "retain-dead")
        configuration.participatesInLeadership = !noLeader
        configuration.vacuumThreshold = vacuumThreshold
        return configuration
    }

    func notifyGatherDuration() throws -> Duration { try Self.duration(seconds: notifyGather / 1000, "notify-gather-ms") }

    func routingSweepInterval() throws -> Duration { try Self.duration(seconds: routingSweep, "routing-sweep") }

    /// `seconds` of option `--name`, to the microsecond. A value no Duration holds (infinite,
    /// NaN, beyond a century) is a usage error here, not a trap converting it to an integer.
    static func duration(seconds: Double, _ name: String) throws -> Duration {
        guard seconds.isFinite, abs(seconds) <= 100 * 365 * 86_400 else {
            throw ValidationError("--\(name) takes a number within a century, got \(name.hasSuffix("-ms") ? seconds * 1000 : seconds)")
        }
        return .microseconds(Int64((seconds * 1_000_000).rounded()))
    }
}
