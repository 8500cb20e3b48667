public import JobQueue
public import Postgres
public import Logging
import Helpdesk

/// The ingest worker's job handlers, for a `JobWorker` running the `ingest` queue.
public enum IngestWorker {
    /// Registers `ingest` and `order_event`. Each job takes a connection from `pool`, so the pool
    /// should allow as many connections as the ingest queue runs jobs at once.
    public static func register(into registry: inout JobRegistry, pool: PostgresPool,
                                logger: Logger = Logger(label: "switchboard.ingest")) {
        let ingestor = InboundIngestor(logger: logger)
        let applier = OrderEventApplier(logger: logger)
        registry.register(HelpdeskJobs.ingest) { args, _ in
            do {
                _ = try await pool.withConnection { connection in try await ingestor.ingest(args.inboundID, on: connection) }
            } catch let error as IngestError {
                // The row is gone (deleted by an admin): nothing a retry could fix.
                throw JobDiscard(error.description)
            }
        }
        registry.register(HelpdeskJobs.orderEvent) { args, _ in
            do {
                _ = try await pool.withConnection { connection in try await applier.apply(args.orderEventID, on: connection) }
            } catch let error as IngestError {
                throw JobDiscard(error.description)
            }
        }
    }
}
