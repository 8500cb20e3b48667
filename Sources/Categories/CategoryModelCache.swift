public import Postgres
public import Logging
import Foundation
import Synchronization

/// The newest category model (`category_models`) for a worker: looked up on a connection the
/// worker already holds, at most every `checkInterval` and at once after ``announce()`` (a
/// listener on ``channel`` calls it when a version is stored), and read again only when a newer
/// version exists. Through a transaction pooler, which keeps no session to LISTEN on, the looks
/// every `checkInterval` are all there is. A version that cannot be read is skipped with a
/// warning, once: the worker keeps the model it had (or the rules alone) and never fails a
/// message over it.
public final class CategoryModelCache: Sendable {
    /// A model and the version it was stored as.
    public struct Current: Sendable {
        public let model: CategoryModel
        public let version: Int64
    }

    private struct State {
        var current: Current?
        var checkedAt: ContinuousClock.Instant?
        var refused: Set<Int64> = []
    }

    /// Where a stored version is announced (a trigger on `category_models`), its version as payload.
    public static let channel = "switchboard_category_models"

    public let checkInterval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    public init(checkInterval: Duration = .seconds(5), logger: Logger = Logger(label: "switchboard.categories")) {
        self.checkInterval = checkInterval
        self.logger = logger
    }

    /// A newer version may exist: the next ``current(on:)`` looks, whenever it last did.
    public func announce() {
        state.withLock { $0.checkedAt = nil }
    }

    /// The model to use now; nil when there is none (or none that could be read).
    public func current(on connection: isolated PostgresConnection) async -> Current? {
        let now = ContinuousClock.now
        let (due, known, refused) = state.withLock { state -> (Bool, Int64?, Set<Int64>) in
            let due = state.checkedAt.map { now - $0 >= checkInterval } ?? true
            if due { state.checkedAt = now }
            return (due, state.current?.version, state.refused)
        }
        guard due else { return state.withLock { $0.current } }
        do {
            // In a savepoint when a transaction is open: a failure here must not abort it.
            let loaded = try await connection.transaction { connection -> (Int64, Data)? in
                guard let newest = try connection.query("SELECT max(version) FROM category_models").first?.decode(Int64?.self, at: 0),
                      newest != known, !refused.contains(newest) else { return nil }
                return (newest, try connection.query("SELECT model FROM category_models WHERE version = \(newest)").scalar(Data.self))
            }
            if let (version, data) = loaded {
                do {
                    let model = try CategoryModel(data: data)
                    state.withLock { $0.current = Current(model: model, version: version) }
                    logger.info("category model loaded", metadata: ["version": "\(version)", "categories": "\(model.categoryCount)"])
                } catch {
                    state.withLock { _ = $0.refused.insert(version) }
                    logger.warning("category model version \(version) cannot be read; categories come from the rules and the previous model until a newer version is stored",
                                   metadata: ["error": "\(error)"])
                }
            }
        } catch {
            logger.warning("cannot look up the newest category model; keeping the one in use", metadata: ["error": "\(error)"])
        }
        return state.withLock { $0.current }
    }
}
