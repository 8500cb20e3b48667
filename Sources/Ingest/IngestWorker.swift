public import JobQueue
public import Postgres
public import Logging
import Helpdesk
public import Categories
import Foundation

/// The ingest worker's job handlers, for a `JobWorker` running the `ingest` queue.
public enum IngestWorker {
    /// Inbound messages per ingest transaction at most, unless `switchboard worker --ingest-batch` says otherwise.
    public static let defaultBatchSize = 64
    /// Ingest batches at once per process (`--ingest-lanes`).
    public static let defaultLanes = 2

    /// Registers `ingest`, `order_event` and `categories_train`. Inbound messages of concurrently
    /// running jobs are ingested in batches of up to `batchSize`, `lanes` batches at a time, and
    /// order events likewise (each batch one transaction; a batch that fails is applied event by
    /// event); categories the rules leave open come from `categories`' newest model. All take
    /// connections from `pool`.
    public static func register(into registry: inout JobRegistry, pool: PostgresPool, batchSize: Int = defaultBatchSize, lanes: Int = defaultLanes,
                                categories: CategoryModelCache? = CategoryModelCache(),
                                logger: Logger = Logger(label: "switchboard.ingest")) {
        let batcher = IngestBatcher(pool: pool, maximumBatch: batchSize, lanes: lanes, categories: categories, logger: logger)
        let applier = OrderEventApplier(logger: logger)
        let orderEvents = JobBatcher<OrderEventOutcome>(maximumBatch: batchSize, lanes: lanes, runBatch: { ids, _ in
            let outcomes = try await pool.withConnection { connection in try await applier.apply(batch: ids, on: connection) }
            var items: [Int64: JobBatcher<OrderEventOutcome>.ItemResult] = [:]
            for id in ids {
                items[id] = .finished(outcomes[id].map { .success($0) } ?? .failure(IngestError(.missingRow, "order event \(id) does not exist")))
            }
            return items
        }, runAlone: { id in
            try await pool.withConnection { connection in try await applier.apply(id, on: connection) }
        })
        registry.register(HelpdeskJobs.ingest) { args, _ in
            do {
                _ = try await batcher.ingest(args.inboundID)
            } catch let error as IngestError where error.code == .missingRow {
                // The row is gone (deleted by an admin): nothing a retry could fix.
                throw JobDiscard(error.description)
            }
        }
        registry.register(HelpdeskJobs.orderEvent) { args, _ in
            do {
                _ = try await orderEvents.submit(args.orderEventID)
            } catch let error as IngestError where error.code == .missingRow {
                throw JobDiscard(error.description)
            }
        }
        registry.register(HelpdeskJobs.categoriesTrain) { _, _ in
            try await retrainCategories(pool: pool, logger: logger)
        }
    }

    /// The scheduled retraining (`job_schedules` row `categories_train`): a new model version
    /// when the labelled examples changed since the newest one, stored with its evaluation;
    /// nothing otherwise. Every ingest worker then loads it without restarting.
    @discardableResult
    public static func retrainCategories(pool: PostgresPool, training: CategoryTraining = CategoryTraining(),
                                         logger: Logger = Logger(label: "switchboard.ingest")) async throws -> CategoryTraining.Outcome? {
        guard let outcome = try await training.retrainIfChanged(pool: pool) else {
            logger.debug("category examples unchanged since the newest model: not retrained")
            return nil
        }
        logger.info("category model retrained", metadata: [
            "version": "\(outcome.version.map(String.init) ?? "-")", "examples": "\(outcome.trainingExamples)",
            "held_out_accuracy": "\(String(format: "%.3f", outcome.evaluation.overall.accuracy))",
            "seconds": "\(String(format: "%.1f", outcome.trainingSeconds))"])
        return outcome
    }
}
