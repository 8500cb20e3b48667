public import Logging
public import Postgres
public import ServiceLifecycle
public import UnixSignals
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

    /// Builds the services; `onListening` is told the port once the server listens (useful with port 0).
    public init(_ configuration: ServerConfiguration, drainDelay: Duration = .zero,
                logger: Logger = Logger(label: "switchboard.serve"),
                onListening: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        let pool = PostgresPool(configuration: configuration.database,
                                options: PostgresPoolOptions(maxConnections: configuration.maximumConnections,
                                                             acquireTimeout: configuration.databaseWait))
        let health = HealthEndpoints(pool: pool, databaseWait: configuration.databaseWait)
        let intake = IntakeEndpoints(configuration: configuration, pool: pool, logger: logger)
        let router = Router()
        health.addRoutes(to: router)
        intake.addRoutes(to: router)
        let application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "switchboard"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("serving", metadata: ["address": "\(configuration.host):\(port)"])
                await onListening(port)
            },
            logger: logger)
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

/// Last in the group, so the first to hear of a shutdown: `/readyz` fails from then on, and the
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
