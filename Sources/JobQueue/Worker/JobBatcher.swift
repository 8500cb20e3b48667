/// Gathers the work of concurrently running jobs into batches, so that one transaction serves
/// many jobs. A batch starts as soon as a lane is free: under light load every item goes alone
/// and at once; under heavy load the items that arrived while the lanes were busy go together.
///
/// A batch may hand an item back (`deferred`, e.g. another transaction holds what it needs):
/// it goes first into the next batch, and the batch after its second deferral runs with
/// `insist` set, where the handler waits instead of deferring. When a whole batch fails, each
/// of its items is tried alone, so one bad item cannot fail its neighbours.
public actor JobBatcher<Outcome: Sendable> {
    /// What a batch did with one item.
    public enum ItemResult: Sendable {
        case finished(Result<Outcome, any Error>)
        case deferred
    }

    /// Runs one batch; returns a result per item (an item without one fails).
    public typealias RunBatch = @Sendable (_ ids: [Int64], _ insist: Bool) async throws -> [Int64: ItemResult]
    /// Runs one item alone, after its batch failed.
    public typealias RunAlone = @Sendable (_ id: Int64) async throws -> Outcome

    public let maximumBatch: Int
    public let lanes: Int
    /// How long a batch short of `maximumBatch` waits for more items while another lane is busy.
    public let gather: Duration
    private let runBatch: RunBatch
    private let runAlone: RunAlone
    private typealias Request = (id: Int64, deferrals: Int, since: ContinuousClock.Instant,
                                 continuation: CheckedContinuation<Outcome, any Error>)
    private var waiting: [Request] = []
    private var busyLanes = 0
    private var gatherTimerSet = false

    /// At most `maximumBatch` items per batch, `lanes` batches at once. With a `gather` time, a
    /// free lane does not start a short batch while another lane is busy until the oldest waiting
    /// item has waited that long: under load the items of one claim then go together instead of
    /// the first of them alone. An idle batcher starts at once whatever the `gather` time.
    public init(maximumBatch: Int, lanes: Int, gather: Duration = .zero, runBatch: @escaping RunBatch, runAlone: @escaping RunAlone) {
        self.maximumBatch = max(1, maximumBatch)
        self.lanes = max(1, lanes)
        self.gather = gather < Duration.zero ? Duration.zero : gather
        self.runBatch = runBatch
        self.runAlone = runAlone
    }

    /// Runs item `id` in the next batch; returns when that batch has finished with it.
    public func submit(_ id: Int64) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append((id, 0, .now, continuation))
            startBatches()
        }
    }

    private func startBatches() {
        while busyLanes < lanes, !waiting.isEmpty {
            if busyLanes > 0, waiting.count < maximumBatch, gather > Duration.zero {
                let due = waiting[0].since + gather
                if due > .now {
                    setGatherTimer(due)
                    return
                }
            }
            let batch = Array(waiting.prefix(maximumBatch))
            waiting.removeFirst(batch.count)
            busyLanes += 1
            Task { await self.run(batch) }
        }
    }

    private func run(_ batch: [Request]) async {
        let insist = batch.contains { $0.deferrals >= 2 }
        do {
            let results = try await runBatch(batch.map(\.id), insist)
            var again: [Request] = []
            for (id, deferrals, since, continuation) in batch {
                switch results[id] {
                case .finished(let result)?: continuation.resume(with: result)
                case .deferred?: again.append((id, deferrals + 1, since, continuation))
                case nil: continuation.resume(throwing: JobBatchError(id: id))
                }
            }
            // First in the next batch, in their order.
            waiting.insert(contentsOf: again, at: 0)
        } catch {
            if batch.count == 1 {
                batch[0].continuation.resume(throwing: error)
            } else {
                for (id, _, _, continuation) in batch {
                    do {
                        continuation.resume(returning: try await runAlone(id))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        }
        busyLanes -= 1
        startBatches()
    }

    private func setGatherTimer(_ due: ContinuousClock.Instant) {
        guard !gatherTimerSet else { return }
        gatherTimerSet = true
        Task {
            try? await Task.sleep(until: due, clock: .continuous)
            self.gatherTimerFired()
        }
    }

    private func gatherTimerFired() {
        gatherTimerSet = false
        startBatches()
    }
}

/// A batch returned no result for one of its items.
public struct JobBatchError: Error, CustomStringConvertible {
    public let id: Int64
    public var description: String { "the batch returned no result for item \(id)" }
}
