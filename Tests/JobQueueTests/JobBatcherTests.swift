import JobQueue
import Synchronization
import Testing

@Suite("JobBatcher")
struct JobBatcherTests {
    /// What the batch closures saw.
    final class Calls: Sendable {
        let batches = Mutex<[(ids: [Int64], insist: Bool)]>([])
        let alone = Mutex<[Int64]>([])
    }

    /// Submits `ids` at once; each item's outcome, or "error: …".
    static func submitAll(_ ids: ClosedRange<Int64>, to batcher: JobBatcher<String>) async -> [Int64: String] {
        await withTaskGroup(of: (Int64, String).self) { group in
            for id in ids {
                group.addTask {
                    do { return (id, try await batcher.submit(id)) } catch { return (id, "error: \(error)") }
                }
            }
            var outcomes: [Int64: String] = [:]
            for await (id, outcome) in group { outcomes[id] = outcome }
            return outcomes
        }
    }

    /// A batcher of one lane whose batches take 20 ms (so that items arriving meanwhile gather)
    /// and whose calls are recorded in `calls`.
    static func recordingBatcher(maximumBatch: Int, calls: Calls,
                                 batch: @escaping @Sendable (_ ids: [Int64], _ insist: Bool) throws -> [Int64: JobBatcher<String>.ItemResult],
                                 alone: @escaping @Sendable (_ id: Int64) throws -> String) -> JobBatcher<String> {
        JobBatcher<String>(maximumBatch: maximumBatch, lanes: 1, runBatch: { ids, insist in
            calls.batches.withLock { $0.append((ids, insist)) }
            try await Task.sleep(for: .milliseconds(20))
            return try batch(ids, insist)
        }, runAlone: { id in
            calls.alone.withLock { $0.append(id) }
            return try alone(id)
        })
    }

    @Test("concurrent items share batches; a deferred item goes again, insisting after two deferrals; each item gets its own result")
    func deferralsAndResults() async throws {
        struct Refused: Error {}
        let calls = Calls()
        let batcher = Self.recordingBatcher(maximumBatch: 4, calls: calls, batch: { ids, insist in
            var results: [Int64: JobBatcher<String>.ItemResult] = [:]
            for id in ids {
                if id == 3 && !insist {
                    results[id] = .deferred
                } else if id == 5 {
                    results[id] = .finished(.failure(Refused()))
                } else if id != 6 {
                    results[id] = .finished(.success("done \(id)\(insist ? " insisting" : "")"))
                }
            }
            return results
        }, alone: { id in "alone \(id)" })
        let outcomes = await Self.submitAll(1...6, to: batcher)
        #expect(outcomes[1] == "done 1" && outcomes[2] == "done 2" && outcomes[4] == "done 4")
        #expect(outcomes[3] == "done 3 insisting")
        #expect(outcomes[5]?.hasPrefix("error:") == true)
        #expect(outcomes[6] == "error: the batch returned no result for item 6")
        let batches = calls.batches.withLock { $0 }
        #expect(batches.contains { $0.ids.count > 1 }, "no batch held more than one item: \(batches)")
        #expect(batches.filter { $0.ids.contains(3) }.map(\.insist) == [false, false, true])
        #expect(calls.alone.withLock { $0 }.isEmpty)
    }

    @Test("when a whole batch fails, each of its items is tried alone")
    func failedBatchRunsAlone() async throws {
        struct Broken: Error {}
        let calls = Calls()
        let batcher = Self.recordingBatcher(maximumBatch: 8, calls: calls, batch: { ids, _ in
            if ids.count > 1 { throw Broken() }
            return [ids[0]: .finished(.success("batch \(ids[0])"))]
        }, alone: { id in
            if id == 2 { throw Broken() }
            return "alone \(id)"
        })
        let outcomes = await Self.submitAll(1...4, to: batcher)
        // The first item may have had a batch of its own; the rest failed together and went alone.
        let alone = calls.alone.withLock { $0 }
        #expect(!alone.isEmpty)
        for id in alone { #expect(id == 2 ? outcomes[id]?.hasPrefix("error:") == true : outcomes[id] == "alone \(id)") }
        for id in Int64(1)...4 where !alone.contains(id) { #expect(outcomes[id] == "batch \(id)") }
    }
}
