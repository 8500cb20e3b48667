@testable import JobQueue
import Testing

/// The worker's shutdown phases and the leader's view of its lease, without a database.
@Suite("Worker phases and leadership")
struct LifecycleStateTests {
    @Test("a worker drains once, keeps writing outcomes while draining, and stops writing when stopped")
    func workerPhases() {
        var phase = WorkerPhase.running
        #expect(phase.claims && phase.writesOutcomes && !phase.isShuttingDown)
        let first = phase.drain()
        #expect(first)
        #expect(phase == .draining && !phase.claims && phase.writesOutcomes && phase.isShuttingDown)
        let second = phase.drain()
        #expect(!second, "a second SIGTERM does not start the shutdown again")
        phase.stop()
        #expect(phase == .stopped && !phase.claims && !phase.writesOutcomes)
        let afterStop = phase.drain()
        #expect(!afterStop)
        var abrupt = WorkerPhase.running
        abrupt.stop()
        #expect(abrupt == .stopped && abrupt.isShuttingDown)
    }

    @Test("leadership: elected on taking the lease, kept while renewed, lost when another holds it, lapsed when renewals fail")
    func leadership() {
        let lease: Duration = .seconds(5)
        let start = ContinuousClock.now
        var leadership = Leadership()
        #expect(!leadership.isLeading(at: start))
        let change1 = leadership.renewed(held: false, newly: false, at: start, lease: lease)
        #expect(change1 == .none)
        let change2 = leadership.renewed(held: true, newly: true, at: start, lease: lease)
        #expect(change2 == .elected)
        #expect(leadership.isLeading(at: start + .seconds(4)) && !leadership.isLeading(at: start + .seconds(5)))
        let change3 = leadership.renewed(held: true, newly: false, at: start + .seconds(1), lease: lease)
        #expect(change3 == .none)
        #expect(leadership.isLeading(at: start + .seconds(5.5)))
        // Renewals failing (database unreachable): the lease runs out on its own.
        #expect(leadership.isLeading(at: start + .seconds(5.9)) && !leadership.isLeading(at: start + .seconds(6)))
        // Held again after the lapse, though the database kept this process's row: elected anew.
        let change5 = leadership.renewed(held: true, newly: false, at: start + .seconds(7), lease: lease)
        #expect(change5 == .elected)
        let change6 = leadership.renewed(held: false, newly: false, at: start + .seconds(8), lease: lease)
        #expect(change6 == .lost)
        #expect(!leadership.isLeading(at: start + .seconds(8)))
    }

    @Test("the leader's chores each have their own interval, from the worker's configuration where it has one")
    func chores() async {
        var configuration = JobWorkerConfiguration(queues: ["q": 1])
        configuration.promotionInterval = .milliseconds(300)
        configuration.lease = .seconds(20)
        let connection = ManagedConnection(configuration: try! .init("host=/nonexistent"), logger: .init(label: "t"))
        let vacuum = JobsVacuum(configuration: .init(), connection: connection, logger: .init(label: "t"))
        let chores = Maintenance.chores(for: configuration, vacuum: vacuum)
        #expect(chores.map(\.name) == ["promote scheduled jobs", "rescue expired leases", "vacuum jobs", "enqueue periodic jobs",
                                       "delete finished jobs", "report queue depths"])
        #expect(chores[0].interval == .milliseconds(300))
        #expect((chores[4] as? RetentionCleaner)?.configuration.deadWorkerTimeout == .seconds(60))
    }
}
