public import Postgres
public import ServiceLifecycle

/// A ``PostgresPool`` as a service: it stays open until the group shuts down, then closes its
/// connections. First in a ``ServiceGroup``'s list, it is shut down last — after every service
/// that borrows from it has finished.
public struct PoolService: Service {
    public let pool: PostgresPool

    public init(_ pool: PostgresPool) {
        self.pool = pool
    }

    public func run() async throws {
        // Until SIGTERM/SIGINT reach the group, or the group is cancelled.
        try? await gracefulShutdown()
        await pool.shutdown()
    }
}
