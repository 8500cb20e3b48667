public import Postgres
public import Logging

/// Gathers the inbound rows of concurrently running `ingest` jobs into batches, so one
/// transaction (and one pass of each rule) serves many messages. A batch starts as soon as a
/// lane is free: under light load every message goes alone and at once; under heavy load the
/// messages that arrived while the lanes were busy go together.
public actor IngestBatcher {
    public let maximumBatch: Int
    public let lanes: Int
    private let pool: PostgresPool
    private let ingestor: InboundIngestor
    private typealias Request = (id: Int64, deferrals: Int, continuation: CheckedContinuation<IngestOutcome, any Error>)
    private var waiting: [Request] = []
    private var busyLanes = 0

    /// `lanes` batches run at once, each on a connection of `pool`.
    public init(pool: PostgresPool, maximumBatch: Int = 64, lanes: Int = 2, logger: Logger = Logger(label: "switchboard.ingest")) {
        self.pool = pool
        self.maximumBatch = max(1, maximumBatch)
        self.lanes = max(1, lanes)
        self.ingestor = InboundIngestor(logger: logger)
    }

    /// Ingests row `id` in the next batch; returns when that batch has committed.
    public func ingest(_ id: Int64) async throws -> IngestOutcome {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((id, 0, continuation))
            startBatches()
        }
    }

    private func startBatches() {
        while busyLanes < lanes, !waiting.isEmpty {
            let batch = Array(waiting.prefix(maximumBatch))
            waiting.removeFirst(batch.count)
            busyLanes += 1
            Task { await self.run(batch) }
        }
    }

    private func run(_ batch: [Request]) async {
        let ids = batch.map(\.id)
        // A message handed back twice because its customer was busy waits its turn the third time.
        let wait = batch.contains { $0.deferrals >= 2 }
        let results: [Int64: Result<IngestOutcome, IngestError>]
        do {
            results = try await pool.withConnection { [ingestor] connection in
                try await ingestor.ingest(ids, waitForBusyCustomers: wait, on: connection)
            }
            var again: [Request] = []
            for (id, deferrals, continuation) in batch {
                let result = results[id] ?? .failure(IngestError("inbound message \(id) does not exist"))
                if case .success(.deferred) = result {
                    again.append((id, deferrals + 1, continuation))
                } else {
                    continuation.resume(with: result.mapError { $0 })
                }
            }
            // First in the next batch, in their order.
            waiting.insert(contentsOf: again, at: 0)
        } catch {
            // One bad message must not fail its neighbours: each is tried alone.
            if batch.count == 1 {
                batch[0].continuation.resume(throwing: error)
            } else {
                for (id, _, continuation) in batch {
                    do {
                        let outcome = try await pool.withConnection { [ingestor] connection in try await ingestor.ingest(id, on: connection) }
                        continuation.resume(returning: outcome)
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        }
        busyLanes -= 1
        startBatches()
    }
}
