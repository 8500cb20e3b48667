public import Postgres
public import Logging
import JobQueue
public import Categories

/// Gathers the inbound rows of concurrently running `ingest` jobs into batches (a
/// ``JobBatcher``), so one transaction (and one pass of each rule) serves many messages. A
/// message deferred twice because its customer was busy waits its turn the third time.
public struct IngestBatcher: Sendable {
    private let batcher: JobBatcher<IngestOutcome>

    /// `lanes` batches run at once, each on a connection of `pool`; categories the rules leave
    /// open come from `categories`' newest model.
    public init(pool: PostgresPool, maximumBatch: Int = IngestWorker.defaultBatchSize, lanes: Int = IngestWorker.defaultLanes,
                categories: CategoryModelCache? = CategoryModelCache(), logger: Logger = Logger(label: "switchboard.ingest")) {
        let ingestor = InboundIngestor(logger: logger, categories: categories)
        batcher = JobBatcher(maximumBatch: maximumBatch, lanes: lanes, runBatch: { ids, insist in
            let results = try await pool.withConnection { connection in
                try await ingestor.ingest(ids, waitForBusyCustomers: insist, on: connection)
            }
            var items: [Int64: JobBatcher<IngestOutcome>.ItemResult] = [:]
            for id in ids {
                switch results[id] ?? .failure(IngestError(.missingRow, "inbound message \(id) does not exist")) {
                case .success(.deferred): items[id] = .deferred
                case let result: items[id] = .finished(result.mapError { $0 })
                }
            }
            return items
        }, runAlone: { id in
            try await pool.withConnection { connection in try await ingestor.ingest(id, on: connection) }
        })
    }

    /// Ingests row `id` in the next batch; returns when that batch has committed.
    public func ingest(_ id: Int64) async throws -> IngestOutcome {
        try await batcher.submit(id)
    }
}
