import JobQueue
import TestSupport
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

    /// Batches that wait until `open(batch)` lets them finish; records each batch's items, and
    /// what each submitted item came to (so a test waits with a time limit, never forever).
    final class Gate: Sendable {
        let started = Mutex<[[Int64]]>([])
        let outcomes = Mutex<[Int64: String]>([:])
        private let releases = Mutex<(waiting: [Int: CheckedContinuation<Void, Never>], opened: Set<Int>, all: Bool)>(([:], [], false))

        /// A batcher of two lanes whose batches are this gate's.
        func batcher(maximumBatch: Int, gather: Duration) -> JobBatcher<String> {
            JobBatcher<String>(maximumBatch: maximumBatch, lanes: 2, gather: gather, runBatch: { ids, _ in
                await self.run(ids)
            }, runAlone: { id in "alone \(id)" })
        }

        func run(_ ids: [Int64]) async -> [Int64: JobBatcher<String>.ItemResult] {
            let index = started.withLock { $0.append(ids); return $0.count - 1 }
            await withCheckedContinuation { continuation in
                let now = releases.withLock { state -> Bool in
                    if state.all || state.opened.contains(index) { return true }
                    state.waiting[index] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
            return Dictionary(uniqueKeysWithValues: ids.map { ($0, .finished(.success("batch \(index)"))) })
        }

        func open(_ index: Int) {
            releases.withLock { state in
                state.opened.insert(index)
                return state.waiting.removeValue(forKey: index)
            }?.resume()
        }

        /// Lets every batch, started or not, finish (a failed test's leftovers).
        func openAll() {
            releases.withLock { state in
                state.all = true
                defer { state.waiting = [:] }
                return Array(state.waiting.values)
            }.forEach { $0.resume() }
        }

        func submit(_ ids: [Int64], to batcher: JobBatcher<String>) {
            for id in ids {
                Task {
                    let outcome: String
                    do { outcome = try await batcher.submit(id) } catch { outcome = "error: \(error)" }
                    outcomes.withLock { $0[id] = outcome }
                }
            }
        }

        func waitForBatches(_ count: Int) async throws {
            try await eventually("\(count) batches started", within: .seconds(10)) { started.withLock { $0.count } >= count }
        }

        func waitForOutcomes(_ ids: [Int64]) async throws -> [String] {
            try await eventually("items \(ids) finished", within: .seconds(10)) { outcomes.withLock { o in ids.allSatisfy { o[$0] != nil } } }
            return outcomes.withLock { o in ids.map { o[$0]! } }
        }
    }

    @Test("with a gather time, a free lane holds a short batch while another is busy until it fills, no other lane is busy, or the time is up; an idle batcher starts at once")
    func gatherWhileBusy() async throws {
        let gate = Gate()
        defer { gate.openAll() }
        let batcher = gate.batcher(maximumBatch: 4, gather: .seconds(3600))
        gate.submit([1], to: batcher)
        try await gate.waitForBatches(1)
        // Items 2 to 4 wait for a fourth while batch 0 is under way, though a lane is free.
        gate.submit([2, 3, 4], to: batcher)
        try await Task.sleep(for: .milliseconds(200))
        #expect(gate.started.withLock { $0 } == [[1]])
        gate.submit([5], to: batcher)
        try await gate.waitForBatches(2)
        #expect(gate.started.withLock { $0 }.last.map { Set($0) } == [2, 3, 4, 5])
        // Items 6 and 7 wait while both lanes are busy, and still while batch 1 is, after batch 0 ended.
        gate.submit([6, 7], to: batcher)
        gate.open(0)
        #expect(try await gate.waitForOutcomes([1]) == ["batch 0"])
        try await Task.sleep(for: .milliseconds(200))
        #expect(gate.started.withLock { $0.count } == 2)
        gate.open(1)
        #expect(try await gate.waitForOutcomes([2, 3, 4, 5]) == Array(repeating: "batch 1", count: 4))
        try await gate.waitForBatches(3)
        #expect(gate.started.withLock { $0 }.last.map { Set($0) } == [6, 7])
        gate.open(2)
        #expect(try await gate.waitForOutcomes([6, 7]) == ["batch 2", "batch 2"])
        // Idle again: a single item goes at once.
        gate.submit([8], to: batcher)
        try await gate.waitForBatches(4)
        gate.open(3)
        #expect(try await gate.waitForOutcomes([8]) == ["batch 3"])
    }

    @Test("a short batch held while another lane is busy starts when its gather time is up")
    func gatherTimeUp() async throws {
        let gate = Gate()
        defer { gate.openAll() }
        let batcher = gate.batcher(maximumBatch: 8, gather: .milliseconds(50))
        gate.submit([1], to: batcher)
        try await gate.waitForBatches(1)
        gate.submit([2], to: batcher)
        // Batch 0 does not end before batch 1 starts: only the gather time can start it.
        try await gate.waitForBatches(2)
        #expect(gate.started.withLock { $0 } == [[1], [2]])
        gate.open(1)
        #expect(try await gate.waitForOutcomes([2]) == ["batch 1"])
        gate.open(0)
        #expect(try await gate.waitForOutcomes([1]) == ["batch 0"])
    }
}
