public import JobQueue
public import Logging
import Categories
import Helpdesk
import Migrations
public import Postgres
import Routing
public import ServiceLifecycle
public import UnixSignals
import Ingest
import Notify
import Surveys

/// What a worker process runs, from its queues to its routing sweep. The defaults suit most
/// deployments; `switchboard worker` fills it from its arguments.
public struct WorkerRoleConfiguration: Sendable {
    /// How the ingest queue's jobs are batched.
    public struct Ingest: Sendable {
        /// Inbound messages per ingest transaction at most.
        public var batchSize = IngestWorker.defaultBatchSize
        /// Ingest batches at once (one connection each).
        public var lanes = IngestWorker.defaultLanes
        /// How often ingest looks for a newer category model; nil: every minute beside LISTEN
        /// (which announces each version at once), every 5 s through a transaction pooler.
        public var categoryModelLookInterval: Duration?
        public init() {}
    }

    /// How the notify queue's jobs are batched.
    public struct Notify: Sendable {
        /// Outbox rows per batch at most (begun in one statement, recorded in one).
        public var batchSize = NotifyWorker.defaultBatchSize
        /// Notify batches at once.
        public var lanes = NotifyWorker.defaultLanes
        /// How long a short batch waits for more rows while another is under way.
        public var gather = NotifyWorker.defaultGather
        public init() {}
    }

    /// How the route queue's jobs are batched, and how often waiting conversations are offered.
    public struct Routing: Sendable {
        /// Conversations per routing transaction at most.
        public var batchSize = RoutingWorker.defaultBatchSize
        /// Routing batches at once (one connection each).
        public var lanes = RoutingWorker.defaultLanes
        /// How often waiting conversations are offered to agents with room (notifications act at once).
        public var sweepInterval: Duration = .seconds(5)
        public init() {}
    }

    public var database: PostgresConfiguration
    public var worker: JobWorkerConfiguration
    public var ingest = Ingest()
    public var routing = Routing()
    public var notify = Notify()
    /// Apply pending migrations and changed definitions before starting (never through a
    /// transaction pooler, which cannot keep the migration lock).
    public var migrate = true
    /// Connections the handlers share at most: job slots can be many more than the server's connections.
    public var maximumPoolSize = 16

    public init(database: PostgresConfiguration, worker: JobWorkerConfiguration) {
        self.database = database
        self.worker = worker
    }

    /// Whether this process runs the route queue, and with it routing's live reactions.
    public var runsRouting: Bool { worker.queues[HelpdeskJobs.routeQueue] != nil }
    public var runsNotify: Bool { worker.queues[HelpdeskJobs.notifyQueue] != nil }
    /// Whether this process runs the ingest queue, and with it the category model's announcements.
    public var runsIngest: Bool { worker.queues[HelpdeskJobs.ingestQueue] != nil }
    public var runsSurveys: Bool { worker.queues[HelpdeskJobs.surveysQueue] != nil }
}

/// A worker process, built from its configuration as services: the handlers' pool (shut down
/// last), the job worker (claims, outcomes, leases, leader maintenance), and routing's live
/// reactions when the process runs the route queue. `switchboard worker`, the demo and the tests
/// start workers this one way.
public struct WorkerRole: Sendable {
    public let configuration: WorkerRoleConfiguration
    public let pool: PostgresPool
    public let worker: JobWorker
    public let services: [any Service]
    let logger: Logger

    /// Migrates (unless told not to), installs the schedules of the roles it runs, and builds
    /// the services; nothing runs until ``run(signals:)`` or a group of the caller's runs them.
    public static func prepare(_ configuration: WorkerRoleConfiguration,
                               logger: Logger = Logger(label: "switchboard.worker")) async throws -> WorkerRole {
        try configuration.worker.validate()
        let connection = try await PostgresConnection.connect(configuration.database)
        do {
            if configuration.migrate, configuration.database.pooling == .transaction {
                logger.notice("migrations are not applied through a transaction pooler: run switchboard migrate over a direct connection (the compose file's and Kubernetes' migrate step do)")
            } else if configuration.migrate {
                try await Migrator().migrate(on: connection)
            }
            if configuration.runsRouting { try await connection.run { try RoutingWorker.installSLASchedule(on: $0) } }
            if configuration.runsNotify { try await connection.run { try NotifyWorker.installSweepSchedule(on: $0) } }
            if configuration.runsSurveys { try await connection.run { try SurveyWorker.installRefreshSchedule(on: $0) } }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        let slots = configuration.worker.queues.values.reduce(0, +)
        let pool = PostgresPool(configuration: configuration.database,
                                options: PostgresPoolOptions(maxConnections: min(max(1, slots), configuration.maximumPoolSize)))
        // With LISTEN a new model is announced; the periodic look only catches a lost announcement.
        let listens = configuration.runsIngest && configuration.database.pooling == .session
        let categories = CategoryModelCache(checkInterval: configuration.ingest.categoryModelLookInterval ?? (listens ? .seconds(60) : .seconds(5)))
        let registry = SwitchboardKinds.registry(pool: pool, ingest: configuration.ingest, routing: configuration.routing,
                                                 notify: configuration.notify, categories: categories)
        let worker = JobWorker(database: configuration.database, configuration: configuration.worker, registry: registry, logger: logger)
        var services: [any Service] = [PoolService(pool), worker]
        if listens {
            services.append(CategoryModelAnnouncements(configuration: configuration.database, cache: categories,
                                                       logger: Logger(label: "switchboard.categories")))
        }
        if configuration.runsRouting {
            services.append(RoutingReactions(configuration: configuration.database, pool: pool,
                                             sweepInterval: configuration.routing.sweepInterval, logger: Logger(label: "switchboard.routing")))
        }
        return WorkerRole(configuration: configuration, pool: pool, worker: worker, services: services, logger: logger)
    }

    /// The services in one group: graceful shutdown on one of `signals` (or
    /// `triggerGracefulShutdown()`) stops them in reverse order, the pool last.
    /// Services of the caller's (a probe server) join around the worker's: `first` right after
    /// the pool, so they stop after the worker; `last` at the end, told of a shutdown first.
    public func serviceGroup(signals: [UnixSignal] = [.sigterm, .sigint], first: [any Service] = [], last: [any Service] = []) -> ServiceGroup {
        let all = Array(services.prefix(1)) + first + Array(services.dropFirst()) + last
        return ServiceGroup(services: all, gracefulShutdownSignals: signals, cancellationSignals: [], logger: logger)
    }

    /// Runs every service until one of `signals` arrives or the task is cancelled.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint], first: [any Service] = [], last: [any Service] = []) async throws {
        try await serviceGroup(signals: signals, first: first, last: last).run()
    }
}
