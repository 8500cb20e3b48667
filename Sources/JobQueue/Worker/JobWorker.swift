public import ServiceLifecycle
public import Postgres
public import Logging
public import CoreMetrics
import Synchronization
import Foundation

/// A worker process's job runner: claims from its queues in batches, runs handlers, writes the
/// outcomes back in batches, keeps its leases alive, takes part in leader election, and on
/// graceful shutdown (SIGTERM/SIGINT through swift-service-lifecycle) stops claiming, lets running
/// jobs finish within `shutdownGrace` and gives the rest back without counting their attempt.
public final class JobWorker: Service, Sendable {
    public let configuration: JobWorkerConfiguration
    let database: PostgresConfiguration
    let registry: JobRegistry
    let logger: Logger
    let metrics: JobMetrics

    private struct State {
        var workerID: Int64?
        var phase = WorkerPhase.running
        var running: [Int64: JobRun] = [:]
        var inFlight: [String: Int] = [:]
        /// Queue → free slots at which its claim loop wants waking.
        var wantSlots: [String: Int] = [:]
        var outcomes: [(run: JobRun, outcome: JobOutcome)] = []
    }
    private let state = Mutex(State())
    private let queueSignals: [String: WakeSignal]
    private let flushSignal = WakeSignal()
    private let drainedSignal = WakeSignal()
    private let shutdownSignal = WakeSignal()
    private let maintenanceSignal = WakeSignal()
    private let heartbeatSignal = WakeSignal()

    /// `metricsFactory` overrides the bootstrapped metrics backend for this worker's instruments
    /// (tests use MetricsTestKit's `TestMetrics`).
    public init(database: PostgresConfiguration, configuration: JobWorkerConfiguration, registry: JobRegistry,
                logger: Logger = Logger(label: "switchboard.jobs"), metricsFactory: (any MetricsFactory & Sendable)? = nil) {
        self.metrics = metricsFactory.map { JobMetrics(factory: $0) } ?? .shared
        self.database = database
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
        self.queueSignals = configuration.queues.mapValues { _ in WakeSignal() }
    }

    /// This process's row in `job_workers`, once registered.
    public var workerID: Int64? { state.withLock { $0.workerID } }

    /// Jobs whose handler is running now.
    public var runningCount: Int { state.withLock { $0.running.count } }

    public func run() async throws {
        try configuration.validate()
        // Claims, outcomes and heartbeats commit asynchronously: a server crash can lose only the
        // last few, and each loss is safe (docs/queue.md, "Commits").
        let control = ManagedConnection(configuration: withName("worker"), logger: logger, asynchronousCommit: true)
        let id = try await registerWithRetry(control)
        // A transaction pooler keeps no session to LISTEN on: such a worker polls.
        let listens = configuration.listen && database.pooling == .session
        logger.info("worker started", metadata: ["worker.id": "\(id)", "queues": "\(configuration.queues)",
                                                 "kinds": "\(registry.kinds)", "mode": "\(listens ? "listen" : "poll-only")"])
        // Notifications wake claim loops straight from the listener's thread: no task in between.
        let listener = listens
            ? try PostgresListener(configuration: withName("listener"), logger: logger) { [queueSignals] event in
                switch event {
                case .notification(let notification):
                    queueSignals[notification.payload]?.signal()
                case .reconnected:
                    // Notifications sent while disconnected are lost: look at every queue.
                    for signal in queueSignals.values { signal.signal() }
                }
            }
            : nil

        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withTaskGroup(of: Void.self) { group in
                    if let listener { group.addTask { await self.startListening(listener) } }
                    for queue in configuration.queues.keys.sorted() {
                        group.addTask { await self.claimLoop(queue: queue) }
                    }
                    group.addTask { await self.flushLoop(control) }
                    group.addTask { await self.heartbeatLoop(control) }
                    group.addTask { await self.watchdogLoop() }
                    if configuration.participatesInLeadership {
                        let vacuum = JobsVacuum(configuration: .init(threshold: configuration.vacuumThreshold),
                                                connection: ManagedConnection(configuration: withName("vacuum"), logger: logger), logger: logger)
                        let maintenance = Maintenance(
                            election: LeaderElection(configuration: .init(lease: configuration.leaderLease)),
                            chores: Maintenance.chores(for: configuration, vacuum: vacuum),
                            context: MaintenanceContext(connection: ManagedConnection(configuration: withName("leader"), logger: logger),
                                                        logger: logger, metrics: metrics),
                            workerID: { [self] in workerID }, isStopping: { [self] in state.withLock { $0.phase.isShuttingDown } },
                            wake: maintenanceSignal, vacuum: vacuum)
                        group.addTask { await maintenance.run() }
                    }
                    while !state.withLock({ $0.phase.isShuttingDown }) { await shutdownSignal.wait(timeout: .seconds(1)) }
                    await shutDown(control: control)
                    listener?.stop()
                    group.cancelAll()
                    for signal in queueSignals.values { signal.signal() }
                    flushSignal.signal()
                    maintenanceSignal.signal()
                }
            } onCancel: {
                self.beginDraining()
            }
        } onGracefulShutdown: {
            self.beginDraining()
        }
        await control.drop()
        logger.info("worker stopped", metadata: ["worker.id": "\(id)"])
    }

    /// Stops claiming and starts the shutdown sequence (what SIGTERM does).
    public func beginDraining() {
        let first = state.withLock { $0.phase.drain() }
        guard first else { return }
        logger.info("shutting down: no new claims", metadata: ["running": "\(runningCount)"])
        shutdownSignal.signal()
        maintenanceSignal.signal()
        for signal in queueSignals.values { signal.signal() }
        drainedSignal.signal()
    }

    private func withName(_ name: String) -> PostgresConfiguration {
        var configuration = database
        configuration.applicationName = "\(self.configuration.connectionLabel)-\(name)"
        return configuration
    }

    private var isDraining: Bool { state.withLock { $0.phase.isShuttingDown } }

    // MARK: Registration and shutdown

    private func registerWithRetry(_ control: ManagedConnection) async throws -> Int64 {
        var backoff = Backoff()
        let pid = ProcessInfo.processInfo.processIdentifier
        while true {
            do {
                let id = try await control.run { [configuration] connection in
                    try WorkerStatements.register(host: configuration.host, pid: pid, queues: configuration.queues, reuse: nil, on: connection)
                }
                state.withLock { $0.workerID = id }
                return id
            } catch let error as PostgresError where error.isConnectionFailure {
                try Task.checkCancellation()
                logger.warning("cannot reach the database to register; retrying: \(error)")
                await backoff.sleep()
            }
        }
    }

    private func shutDown(control: ManagedConnection) async {
        let deadline = ContinuousClock.now + configuration.shutdownGrace
        while runningCount > 0, ContinuousClock.now < deadline {
            await drainedSignal.wait(timeout: min(.milliseconds(100), deadline - .now))
        }
        let leftovers = state.withLock { Array($0.running.values) }
        if !leftovers.isEmpty {
            logger.warning("shutdown grace over: giving back unfinished jobs", metadata: ["count": "\(leftovers.count)"])
        }
        for run in leftovers { finish(run, .released, cancelTask: true) }
        // Write every outcome; if the database is unreachable, the leases lapse and the leader
        // makes the jobs available again, so nothing is lost either way.
        let flushDeadline = ContinuousClock.now + .seconds(10)
        while state.withLock({ !$0.outcomes.isEmpty }), ContinuousClock.now < flushDeadline {
            flushSignal.signal()
            try? await Task.sleep(for: .milliseconds(10))
        }
        state.withLock { $0.phase.stop() }
        flushSignal.signal()
        heartbeatSignal.signal()
        if let id = workerID {
            do {
                try await control.run { connection in try WorkerStatements.deregister(worker: id, on: connection) }
            } catch {
                logger.warning("could not remove this worker's row; the leader will: \(error)")
            }
        }
    }

    // MARK: Wake-ups

    private func startListening(_ listener: PostgresListener) async {
        var backoff = Backoff()
        while !isDraining {
            do {
                try await listener.listen(Jobs.wakeChannel)
                return
            } catch {
                logger.warning("LISTEN failed; polling until it works: \(error)")
                await backoff.sleep()
            }
        }
    }

    // MARK: Claiming

    private func claimLoop(queue: String) async {
        let connection = ManagedConnection(configuration: withName("claim"), logger: logger, asynchronousCommit: true)
        var backoff = Backoff()
        while !isDraining, !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                // The loop runs isolated to its connection: a wake-up resumes it on the
                // connection's thread, where the claim runs without another hop.
                try await connection.run { connection in try await self.claim(queue: queue, on: connection) }
            } catch {
                if ContinuousClock.now - started > .seconds(5) { backoff.reset() }
                logger.warning("claim failed; retrying", metadata: ["queue": "\(queue)", "error": "\(error)"])
                await backoff.sleep()
            }
        }
        await connection.drop()
    }

    /// Claims from `queue` until draining; throws on the first failed claim.
    private func claim(queue: String, on connection: isolated PostgresConnection) async throws {
        guard let signal = queueSignals[queue], let concurrency = configuration.queues[queue], let worker = workerID else { return }
        let batchLimit = configuration.claimBatchLimit
        // After a full batch, wait for this many free slots so claims stay batched under load.
        let refill = max(1, min(batchLimit, concurrency) / 2)
        var lastBatchWasFull = true
        while !isDraining, !Task.isCancelled {
            let free = concurrency - state.withLock { $0.inFlight[queue, default: 0] }
            let needed = lastBatchWasFull ? min(refill, concurrency) : 1
            if free < needed {
                let stillShort = state.withLock { state -> Bool in
                    let free = concurrency - state.inFlight[queue, default: 0]
                    if free >= needed { return false }
                    state.wantSlots[queue] = needed
                    return true
                }
                if stillShort { await signal.wait(timeout: configuration.pollInterval) }
                continue
            }
            let limit = min(free, batchLimit)
            let jobs = try WorkerStatements.claim(queue: queue, limit: limit, worker: worker, lease: configuration.lease, on: connection)
            if !jobs.isEmpty { start(jobs, queue: queue) }
            lastBatchWasFull = jobs.count == limit
            if !lastBatchWasFull { await signal.wait(timeout: configuration.pollInterval) }
        }
    }

    private func start(_ jobs: [ClaimedJob], queue: String) {
        metrics.claimed(queue: queue, jobs.count)
        let now = Date()
        var runs: [(JobRun, JobRegistry.Handler?)] = []
        runs.reserveCapacity(jobs.count)
        for job in jobs {
            let handler = registry[job.kind]
            runs.append((JobRun(job: job, timeout: handler?.timeout ?? .seconds(60)), handler))
            metrics.queueWait(queue: queue, seconds: now.timeIntervalSince(job.runAt))
        }
        state.withLock { state in
            for (run, _) in runs { state.running[run.job.id] = run }
            state.inFlight[queue, default: 0] += runs.count
        }
        for (run, handler) in runs {
            guard let handler else {
                let known = registry.kinds.joined(separator: ", ")
                finish(run, .discarded(error: "no handler for kind '\(run.job.kind)' in this worker (it knows: \(known.isEmpty ? "none" : known))"),
                       cancelTask: false)
                continue
            }
            run.attach(Task { await self.execute(run, handler) })
        }
    }

    private func execute(_ run: JobRun, _ handler: JobRegistry.Handler) async {
        let job = run.job
        var logger = self.logger
        logger[metadataKey: "job.id"] = "\(job.id)"
        logger[metadataKey: "job.kind"] = "\(job.kind)"
        logger[metadataKey: "queue"] = "\(job.queue)"
        let metadata = JobCoding.decodeMetadata(job.metadata)
        let context = JobContext(id: job.id, kind: job.kind, queue: job.queue, attempt: job.attempt, maxAttempts: job.maxAttempts,
                                 createdAt: job.createdAt, runAt: job.runAt, metadata: metadata, logger: logger)
        do {
            try await handler.run(job.args, context)
            finish(run, .completed, cancelTask: false)
        } catch let snooze as JobSnooze {
            finish(run, .snoozed(snooze.delay), cancelTask: false)
        } catch let discard as JobDiscard {
            finish(run, .discarded(error: discard.description), cancelTask: false)
        } catch {
            finish(run, .failed(error: Self.describe(error), retryDelay: handler.backoff.delay(afterAttempt: job.attempt)),
                   cancelTask: false)
        }
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        let type = String(describing: Swift.type(of: error))
        return text.hasPrefix(type) ? text : "\(type): \(text)"
    }

    /// Records how `run` ended (first caller wins) and frees its slot.
    private func finish(_ run: JobRun, _ outcome: JobOutcome, cancelTask: Bool) {
        guard run.finish(cancelTask: cancelTask) else { return }
        let queue = run.job.queue
        // The slot stays taken until the outcome is written (see releaseSlots), so a slow
        // database slows claiming instead of piling up unwritten outcomes.
        let drained = state.withLock { state -> Bool in
            state.running[run.job.id] = nil
            state.outcomes.append((run, outcome))
            return state.phase.isShuttingDown && state.running.isEmpty
        }
        flushSignal.signal()
        if drained { drainedSignal.signal() }
        metrics.runTime(queue: queue, kind: run.job.kind, ContinuousClock.now - run.startedAt)
        switch outcome {
        case .failed(let error, _), .discarded(let error):
            logger.warning("job failed", metadata: ["job.id": "\(run.job.id)", "job.kind": "\(run.job.kind)", "queue": "\(queue)",
                                                    "attempt": "\(run.job.attempt)", "error": "\(error)"])
        case .cancelled:
            logger.info("job cancelled", metadata: ["job.id": "\(run.job.id)", "job.kind": "\(run.job.kind)", "queue": "\(queue)"])
        default:
            break
        }
    }

    // MARK: Writing outcomes

    private func flushLoop(_ control: ManagedConnection) async {
        var backoff = Backoff()
        let limit = configuration.completionBatchLimit
        while true {
            let batch = state.withLock { state -> [(run: JobRun, outcome: JobOutcome)]? in
                if state.outcomes.isEmpty { return state.phase.writesOutcomes ? [] : nil }
                let count = min(limit, state.outcomes.count)
                defer { state.outcomes.removeFirst(count) }
                return Array(state.outcomes.prefix(count))
            }
            guard let batch else { return }
            if batch.isEmpty {
                await flushSignal.wait(timeout: .seconds(1))
                continue
            }
            do {
                try await write(batch, control)
                backoff.reset()
            } catch {
                logger.warning("writing job outcomes failed; will retry", metadata: ["count": "\(batch.count)", "error": "\(error)"])
                state.withLock { $0.outcomes.insert(contentsOf: batch, at: 0) }
                await backoff.sleep()
            }
        }
    }

    private func write(_ batch: [(run: JobRun, outcome: JobOutcome)], _ control: ManagedConnection) async throws {
        guard let worker = workerID else { return }
        var completed: [Int64] = []
        var changes: [WorkerStatements.Change] = []
        for (run, outcome) in batch {
            let id = run.job.id
            switch outcome {
            case .completed: completed.append(id)
            case .failed(let error, let delay): changes.append(.init(id: id, action: .fail, delay: delay, error: error))
            case .discarded(let error): changes.append(.init(id: id, action: .discard, delay: .zero, error: error))
            case .snoozed(let delay): changes.append(.init(id: id, action: .snooze, delay: delay, error: ""))
            case .cancelled: changes.append(.init(id: id, action: .cancel, delay: .zero, error: "cancelled by an operator while running"))
            case .released: changes.append(.init(id: id, action: .release, delay: .zero, error: ""))
            }
        }
        let retain = configuration.retainCompleted > .zero
        let (done, changed) = try await control.run { [completed, changes] connection in
            (completed.isEmpty ? [] : try WorkerStatements.complete(completed, worker: worker, retain: retain, on: connection),
             changes.isEmpty ? [:] : try WorkerStatements.change(changes, worker: worker, on: connection))
        }
        releaseSlots(Dictionary(grouping: batch, by: { $0.run.job.queue }).mapValues(\.count))
        var finished: [FinishedKey: Int] = [:]
        var deadPerQueue: [String: Int] = [:]
        var lost: [Int64] = []
        for (run, outcome) in batch {
            let id = run.job.id, queue = run.job.queue
            switch outcome {
            case .completed:
                if done.contains(id) { finished[FinishedKey(queue: queue, kind: run.job.kind, outcome: .completed), default: 0] += 1 } else { lost.append(id) }
            default:
                guard let newState = changed[id] else { lost.append(id); continue }
                let recorded: JobMetrics.Outcome
                switch outcome {
                case .failed: recorded = newState == "dead" ? .dead : .failed
                case .discarded: recorded = .discarded
                case .snoozed: recorded = .snoozed
                case .cancelled: recorded = .cancelled
                default: recorded = .released
                }
                finished[FinishedKey(queue: queue, kind: run.job.kind, outcome: recorded), default: 0] += 1
                if newState == "dead" { deadPerQueue[queue, default: 0] += 1 }
            }
        }
        for (key, count) in finished { metrics.finished(queue: key.queue, kind: key.kind, key.outcome, count) }
        for (queue, count) in deadPerQueue {
            logger.error("jobs are dead after their last attempt", metadata: ["queue": "\(queue)", "count": "\(count)"])
        }
        if !lost.isEmpty {
            // Their lease lapsed (a long stall) and the leader gave them to another worker, which
            // runs them again: at-least-once, and the other worker's outcome is the one recorded.
            logger.warning("outcomes dropped: lease lost before they were written", metadata: ["job.ids": "\(lost.prefix(20))"])
        }
    }

    /// Frees the slots of written outcomes and wakes claim loops waiting for them.
    private func releaseSlots(_ perQueue: [String: Int]) {
        let wake = state.withLock { state -> [String] in
            var wake: [String] = []
            for (queue, count) in perQueue {
                let inFlight = state.inFlight[queue, default: count] - count
                state.inFlight[queue] = inFlight
                if let want = state.wantSlots[queue], (configuration.queues[queue] ?? 0) - inFlight >= want {
                    state.wantSlots[queue] = nil
                    wake.append(queue)
                }
            }
            return wake
        }
        for queue in wake { queueSignals[queue]?.signal() }
    }

    // MARK: Leases

    private func heartbeatLoop(_ control: ManagedConnection) async {
        while state.withLock({ $0.phase.writesOutcomes }), !Task.isCancelled {
            await heartbeatSignal.wait(timeout: configuration.heartbeatInterval)
            guard let worker = workerID, state.withLock({ $0.phase.writesOutcomes }) else { return }
            let inFlight = runningCount
            do {
                let stops = try await control.run { [self, configuration] connection -> [Int64]? in
                    guard let stops = try WorkerStatements.heartbeat(worker: worker, inFlight: inFlight, lease: configuration.lease, on: connection) else {
                        // Gone because this worker deregistered meanwhile (shutDown stops the phase
                        // before it deregisters on this same connection): stay gone.
                        guard state.withLock({ $0.phase.writesOutcomes }) else { return [] }
                        // The leader took this worker for dead; come back under the same id.
                        _ = try WorkerStatements.register(host: configuration.host, pid: ProcessInfo.processInfo.processIdentifier,
                                                          queues: configuration.queues, reuse: worker, on: connection)
                        return []
                    }
                    return stops
                }
                for id in stops ?? [] {
                    if let run = state.withLock({ $0.running[id] }) { finish(run, .cancelled, cancelTask: true) }
                }
            } catch {
                logger.warning("heartbeat failed; leases lapse if this persists", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Fails runs that passed their kind's timeout and cancels their handler.
    private func watchdogLoop() async {
        while state.withLock({ $0.phase.writesOutcomes }), !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            let now = ContinuousClock.now
            let late = state.withLock { $0.running.values.filter { $0.deadline <= now } }
            for run in late {
                let handler = registry[run.job.kind]
                let timeout = handler?.timeout ?? .seconds(60)
                finish(run, .failed(error: "timed out after \(timeout) (kind timeout)",
                                    retryDelay: (handler?.backoff ?? RetryBackoff()).delay(afterAttempt: run.job.attempt)),
                       cancelTask: true)
            }
        }
    }
}

/// A run's queue, kind and outcome: what `switchboard_jobs_total` counts.
private struct FinishedKey: Hashable {
    let queue: String
    let kind: String
    let outcome: JobMetrics.Outcome
}
