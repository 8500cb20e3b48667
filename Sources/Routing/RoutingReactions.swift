public import Postgres
public import Logging
public import ServiceLifecycle
import Synchronization

/// The routing worker's live reactions, through LISTEN on `switchboard_routing`:
/// - `agent:ID` (an agent came online or freed capacity): offer them what waits, at once;
/// - `rules` (routing rules or settings changed): route every waiting conversation again;
/// - `agents` (skills, teams or capacity changed): offer waiting conversations to every agent.
///
/// Notifications are wake-ups only: every `sweepInterval`, and after the listener reconnects,
/// waiting conversations are offered to every agent with room, so nothing waits on a lost
/// notification. Work that piles up while a pass runs is merged into the next pass. Through a
/// transaction pooler, which keeps no session to LISTEN on, the sweep is all there is.
public final class RoutingReactions: Service, Sendable {
    public static let channel = "switchboard_routing"

    private let configuration: PostgresConfiguration
    private let pool: PostgresPool
    private let sweepInterval: Duration
    private let router: Router
    private let logger: Logger
    private let pending = Mutex(Pending())

    struct Pending {
        var agents: Set<Int64> = []
        var reroute = false
        var everyone = false
        var isEmpty: Bool { agents.isEmpty && !reroute && !everyone }
    }

    public init(configuration: PostgresConfiguration, pool: PostgresPool, sweepInterval: Duration = .seconds(5),
                logger: Logger = Logger(label: "switchboard.routing")) {
        self.configuration = configuration
        self.pool = pool
        self.sweepInterval = sweepInterval
        self.router = Router(logger: logger)
        self.logger = logger
    }

    public func run() async throws {
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let listener = configuration.pooling == .transaction ? nil : try PostgresListener(configuration: configuration, logger: logger) { [self] event in
            pending.withLock { pending in
                switch event {
                case .reconnected: pending.everyone = true
                case .notification(let note):
                    if note.payload == "rules" { pending.reroute = true }
                    else if note.payload == "agents" { pending.everyone = true }
                    else if note.payload.hasPrefix("agent:"), let id = Int64(note.payload.dropFirst(6)) { pending.agents.insert(id) }
                }
            }
            wake.yield()
        }
        try await listener?.listen(Self.channel)
        // What waited before this worker started.
        pending.withLock { $0.everyone = true }
        wake.yield()
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: sweepInterval) } catch { break }
                    pending.withLock { $0.everyone = true }
                    wake.yield()
                }
            }
            for await _ in wakeups.cancelOnGracefulShutdown() {
                await pass()
            }
            group.cancelAll()
        }
        listener?.stop()
        wake.finish()
    }

    /// One pass over what is pending; errors are logged and the work is retried by the next sweep.
    private func pass() async {
        let work = pending.withLock { pending -> Pending in
            let work = pending
            pending = Pending()
            return work
        }
        guard !work.isEmpty else { return }
        do {
            try await pool.withConnection { [router, logger] connection in
                if work.reroute {
                    let requested = try await router.rerouteWaiting(on: connection)
                    logger.info("routing rules changed: waiting conversations routed again", metadata: ["conversations": "\(requested)"])
                }
                if work.everyone {
                    let given = try await router.offerWaitingToAll(on: connection)
                    if given > 0 { logger.debug("waiting conversations offered", metadata: ["assigned": "\(given)"]) }
                }
                // Even after a sweep: the sweep gives up at once while another process sweeps, and
                // that one may have listed its agents before these came online.
                for agent in work.agents.sorted() {
                    _ = try await router.offerWaiting(to: agent, on: connection)
                }
            }
        } catch {
            logger.warning("routing reaction failed; the next sweep tries again", metadata: ["error": "\(error)"])
        }
    }
}
