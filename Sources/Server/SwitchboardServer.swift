public import Logging
public import Postgres
public import ServiceLifecycle
public import UnixSignals
import Console
import Hummingbird
import NIOCore
import SwitchboardApp

/// `switchboard serve` as services: the pool (shut down last), the HTTP server, and a drain
/// step that turns `/readyz` to 503 and waits `drainDelay` before the server stops taking
/// connections, so a load balancer has moved away by then. SIGTERM ends it gracefully:
/// requests in flight finish and are answered.
public struct SwitchboardServer: Sendable {
    public let configuration: ServerConfiguration
    public let services: [any Service]
    let logger: Logger

    /// Builds the services; `onListening` is told the port once the server listens (useful with
    /// port 0). `metrics` adds `/metrics` and counts the requests.
    public init(_ configuration: ServerConfiguration, metrics: ProcessMetrics? = nil, drainDelay: Duration = .zero,
                logger: Logger = Logger(label: "switchboard.serve"),
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        let pool = PostgresPool(configuration: configuration.database,
                                options: PostgresPoolOptions(maxConnections: configuration.maximumConnections,
                                                             acquireTimeout: configuration.databaseWait))
        let health = HealthEndpoints(pool: pool, databaseWait: configuration.databaseWait)
        let router = Router()
        if let metrics {
            router.add(middleware: metrics.middleware())
            metrics.addRoute(to: router)
        }
        health.addRoutes(to: router)
        IntakeEndpoints(configuration: configuration, pool: pool, logger: logger).addRoutes(to: router)
        CustomerLinkEndpoints(pool: pool, logger: logger).addRoutes(to: router)
        SurveyEndpoints(pool: pool, logger: logger).addRoutes(to: router)
        ConsoleEndpoints(configuration: configuration.console, pool: pool, logger: logger).addRoutes(to: router)
        let application = makeApplication(router: router, host: configuration.host, port: configuration.port, idleTimeout: configuration.idleTimeout,
                                          logger: logger, onListening: onListening)
        services = [PoolService(pool), application, DrainStep(health: health, delay: drainDelay)]
    }

    /// The services in one group: one of `signals` (or `triggerGracefulShutdown()`) drains,
    /// then stops the server, then closes the pool.
    public func serviceGroup(signals: [UnixSignal] = [.sigterm, .sigint]) -> ServiceGroup {
        ServiceGroup(services: services, gracefulShutdownSignals: signals, cancellationSignals: [], logger: logger)
    }

    /// Serves until one of `signals` arrives or the task is cancelled.
    public func run(signals: [UnixSignal] = [.sigterm, .sigint]) async throws {
        try await serviceGroup(signals: signals).run()
    }
}

/// A worker's probes and metrics on `--http-port`: `/healthz`, `/readyz` (on a connection of its
/// own, so busy job handlers never make a probe wait) and `/metrics`. Its services go around the
/// worker's: `first` before the worker's (stopped after it), `last` after (told of a shutdown first).
public struct ProbeServer: Sendable {
    public let first: [any Service]
    public let last: [any Service]

    public init(database: PostgresConfiguration, host: String, port: Int, metrics: ProcessMetrics,
                databaseWait: Duration = .seconds(3), logger: Logger = Logger(label: "switchboard.probes"),
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        let pool = PostgresPool(configuration: database, options: PostgresPoolOptions(maxConnections: 1, acquireTimeout: databaseWait))
        let health = HealthEndpoints(pool: pool, databaseWait: databaseWait)
        let router = Router()
        router.add(middleware: metrics.middleware())
        metrics.addRoute(to: router)
        health.addRoutes(to: router)
        first = [PoolService(pool), makeApplication(router: router, host: host, port: port, idleTimeout: .seconds(30), logger: logger,
                                                    onListening: onListening)]
        last = [DrainStep(health: health, delay: .zero)]
    }
}

private func makeApplication(router: Router<BasicRequestContext>, host: String, port: Int, idleTimeout: Duration, logger: Logger,
                             onListening: @escaping @Sendable (Int) async -> Void) -> some Service {
    Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(idleTimeout.components.seconds) * 1_000_000_000
                                                                         + idleTimeout.components.attoseconds / 1_000_000_000))),
        // A burst of new connections waits in the kernel's queue rather than being refused.
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "switchboard", backlog: 1024),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            logger.info("listening", metadata: ["address": "\(host):\(bound)"])
            await onListening(bound)
        },
        logger: logger)
}

/// Last in its group, so the first to hear of a shutdown: `/readyz` fails from then on, and the
/// server keeps answering for `delay` before it is stopped.
private struct DrainStep: Service {
    let health: HealthEndpoints
    let delay: Duration

    func run() async throws {
        try? await gracefulShutdown()
        health.beginDraining()
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}
