import JobQueue
import Postgres
import SwitchboardApp

/// Worker roles the demo runs in-process, built exactly as `switchboard worker` builds them.
enum DemoWorkers {
    /// Runs a worker role on `queues` in the demo schema while `body` runs, then shuts it down
    /// gracefully (running jobs finish) and returns what `body` returned.
    static func whileRunning<T: Sendable>(_ queues: [String: Int], in demo: PostgresConfiguration, routingSweep: Duration = .seconds(2),
                                          _ body: () async throws -> T) async throws -> T {
        var worker = JobWorkerConfiguration(queues: queues)
        worker.shutdownGrace = .seconds(5)
        var configuration = WorkerRoleConfiguration(database: demo, worker: worker)
        configuration.migrate = false
        configuration.routing.sweepInterval = routingSweep
        let group = try await WorkerRole.prepare(configuration).serviceGroup(signals: [])
        let running = Task { try await group.run() }
        let result: Result<T, any Error>
        do { result = .success(try await body()) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        try await running.value
        return try result.get()
    }
}
