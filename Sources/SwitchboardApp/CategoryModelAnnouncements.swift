import Categories
import Logging
import Postgres
import ServiceLifecycle

/// Listens for new category model versions (``CategoryModelCache/channel``) and tells the
/// worker's cache, so its ingest loads a version with its next message rather than at its next
/// periodic look. After a reconnect it tells the cache too: a version may have been stored
/// while nobody listened.
struct CategoryModelAnnouncements: Service {
    let configuration: PostgresConfiguration
    let cache: CategoryModelCache
    let logger: Logger

    func run() async throws {
        let listener = try PostgresListener(configuration: configuration, logger: logger) { [cache] _ in cache.announce() }
        try await listener.listen(CategoryModelCache.channel)
        // Until the graceful shutdown: the listener runs on its own connection meanwhile.
        try? await gracefulShutdown()
        listener.stop()
    }
}
