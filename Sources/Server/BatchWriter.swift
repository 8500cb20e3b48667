/// Writes the items of concurrent requests together: a batch starts as soon as a lane is free,
/// so a lone request goes at once and requests arriving while the lanes are busy share the next
/// statement. When a batch fails for something other than the connection, each of its items is
/// written alone, so one bad item cannot fail its neighbours.
actor BatchWriter<Item: Sendable, Written: Sendable> {
    /// Writes a batch; returns one result per item, in order.
    typealias Write = @Sendable ([Item]) async throws -> [Written]

    private let maximumBatch: Int
    private let lanes: Int
    private let write: Write
    private let isBatchWide: @Sendable (any Error) -> Bool
    private var waiting: [(item: Item, continuation: CheckedContinuation<Written, any Error>)] = []
    private var busyLanes = 0

    /// `isBatchWide` says which errors would fail any item alone too (an unreachable database).
    init(maximumBatch: Int, lanes: Int, isBatchWide: @escaping @Sendable (any Error) -> Bool, write: @escaping Write) {
        self.maximumBatch = max(1, maximumBatch)
        self.lanes = max(1, lanes)
        self.isBatchWide = isBatchWide
        self.write = write
    }

    func submit(_ item: Item) async throws -> Written {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((item, continuation))
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

    private func run(_ batch: [(item: Item, continuation: CheckedContinuation<Written, any Error>)]) async {
        do {
            let results = try await write(batch.map(\.item))
            for (index, entry) in batch.enumerated() {
                if index < results.count {
                    entry.continuation.resume(returning: results[index])
                } else {
                    entry.continuation.resume(throwing: BatchWriteError())
                }
            }
        } catch {
            if batch.count == 1 || isBatchWide(error) {
                for entry in batch { entry.continuation.resume(throwing: error) }
            } else {
                for entry in batch {
                    do {
                        let alone = try await write([entry.item])
                        if let first = alone.first { entry.continuation.resume(returning: first) } else { entry.continuation.resume(throwing: BatchWriteError()) }
                    } catch {
                        entry.continuation.resume(throwing: error)
                    }
                }
            }
        }
        busyLanes -= 1
        startBatches()
    }
}

/// A batch statement returned fewer rows than it was given items.
struct BatchWriteError: Error, CustomStringConvertible {
    var description: String { "the intake statement returned no row for a request" }
}
