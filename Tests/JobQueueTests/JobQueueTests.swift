import Foundation
import JobQueue
import MetricsTestKit
import Postgres
import Synchronization
import Testing
import TestSupport

@Suite("Job queue: enqueue, run, fail, steer")
struct JobQueueTests {
    static let numbered = JobKind<Numbered>("t.numbered", backoff: RetryBackoff(base: .milliseconds(20), jitter: 0))

    @Test("a batch enqueue returns one outcome per job, in order, and skips live duplicates of a unique key")
    func enqueueMany() async throws {
        try await QueueFixture.with("enqmany") { fixture in
            let jobs = try (0..<12_000).map { n in
                try NewJob(Self.numbered, Numbered(n: n), JobOptions(uniqueKey: n % 1000 == 0 ? "k\(n % 2000)" : nil))
            }
            let outcomes = try await fixture.connection.run { connection in try Jobs.enqueue(many: jobs, on: connection) }
            #expect(outcomes.count == 12_000)
            // Keys k0 and k1000 recur every 2000 jobs: only their first jobs go in.
            let duplicates = outcomes.filter { if case .duplicate = $0 { return true } else { return false } }
            #expect(duplicates.count == 10)
            #expect(try await fixture.count("SELECT count(*) FROM jobs") == 11_990)
            // Ids map to the right arguments.
            let id = try #require(outcomes[4321].id)
            let args = try await fixture.connection.query("SELECT args->>'n' FROM jobs WHERE id = \(id)").scalar(String.self)
            #expect(args == "4321")
            let again = try await fixture.connection.run { connection in
                try Jobs.enqueue(Self.numbered, Numbered(n: 1), JobOptions(uniqueKey: "k0"), on: connection)
            }
            #expect(again == .duplicate(uniqueKey: "k0"))
        }
    }

    @Test("a uniform batch (one queue, kind and options) maps each returned id to its own arguments")
    func enqueueUniformBatch() async throws {
        try await QueueFixture.with("enquniform") { fixture in
            let jobs = try (0..<7_000).map { try NewJob(Self.numbered, Numbered(n: $0), JobOptions(queue: "u", priority: 3)) }
            let outcomes = try await fixture.connection.run { connection in try Jobs.enqueue(many: jobs, on: connection) }
            let ids = outcomes.compactMap(\.id)
            #expect(ids.count == 7_000)
            let mismatched = try await fixture.connection.query("""
                SELECT count(*) FROM unnest(\(ids)::int8[]) WITH ORDINALITY AS o(id, n)
                  JOIN jobs j USING (id) WHERE (j.args->>'n')::int <> o.n - 1 OR j.priority <> 3 OR j.queue <> 'u'
                """).scalar(Int.self)
            #expect(mismatched == 0)
        }
    }

    @Test("one worker runs several queues, each within its own concurrency")
    func severalQueues() async throws {
        try await QueueFixture.with("queues") { fixture in
            let peak = Mutex<[String: (now: Int, max: Int)]>([:])
            var registry = JobRegistry()
            registry.register(Self.numbered) { _, context in
                peak.withLock { $0[context.queue, default: (0, 0)].now += 1; $0[context.queue]!.max = max($0[context.queue]!.max, $0[context.queue]!.now) }
                try await Task.sleep(for: .milliseconds(30))
                peak.withLock { $0[context.queue]!.now -= 1 }
            }
            for n in 0..<30 {
                _ = try await fixture.enqueue(Self.numbered, Numbered(n: n), JobOptions(queue: "narrow"))
                _ = try await fixture.enqueue(Self.numbered, Numbered(n: n), JobOptions(queue: "wide"))
            }
            let worker = fixture.startWorker(registry, queues: ["narrow": 2, "wide": 6])
            try await eventually("both queues drained") { try await fixture.count("SELECT count(*) FROM jobs") == 0 }
            try await worker.stop()
            let seen = peak.withLock { $0 }
            #expect(seen["narrow"]?.max == 2)
            #expect((seen["wide"]?.max ?? 0) > 2 && (seen["wide"]?.max ?? 99) <= 6)
        }
    }

    @Test("a job enqueued in a transaction that rolls back does not exist")
    func enqueueInCallerTransaction() async throws {
        try await QueueFixture.with("enqtx") { fixture in
            await #expect(throws: Boom.self) {
                try await fixture.connection.transaction { connection in
                    try Jobs.enqueue(Self.numbered, Numbered(n: 1), on: connection)
                    throw Boom(description: "caller fails after enqueueing")
                }
            }
            #expect(try await fixture.count("SELECT count(*) FROM jobs") == 0)
            try await fixture.connection.transaction { connection in
                try Jobs.enqueue(Self.numbered, Numbered(n: 2), on: connection)
            }
            #expect(try await fixture.count("SELECT count(*) FROM jobs") == 1)
        }
    }

    @Test("bad options are refused with a message; delayed jobs wait as scheduled")
    func badOptions() async throws {
        try await QueueFixture.with("badopts") { fixture in
            await #expect(throws: JobQueueError.self) {
                _ = try await fixture.enqueue(Self.numbered, Numbered(n: 1), JobOptions(queue: ""))
            }
            await #expect(throws: JobQueueError.self) {
                _ = try await fixture.enqueue(Self.numbered, Numbered(n: 1), JobOptions(maxAttempts: 0))
            }
            #expect(throws: JobQueueError.self) { _ = try NewJob(kind: "x", argumentsJSON: "{nope") }
            _ = try await fixture.enqueue(Self.numbered, Numbered(n: 1), JobOptions(delay: .seconds(60)))
            #expect(try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'scheduled'") == 1)
        }
    }

    @Test("workers run jobs in priority, then run-at, then id order, and delete them when done")
    func claimOrder() async throws {
        try await QueueFixture.with("order") { fixture in
            let seen = Recorder()
            var registry = JobRegistry()
            registry.register(Self.numbered) { args, context in seen.add(Int64(args.n), context.attempt) }
            let past = Date().addingTimeInterval(-60)
            _ = try await fixture.enqueue(Self.numbered, Numbered(n: 3), JobOptions(priority: 5))
            _ = try await fixture.enqueue(Self.numbered, Numbered(n: 2), JobOptions(priority: 1))
            _ = try await fixture.enqueue(Self.numbered, Numbered(n: 1), JobOptions(priority: 1, runAt: past))
            _ = try await fixture.enqueue(Self.numbered, Numbered(n: 4), JobOptions(priority: 5))
            let worker = fixture.startWorker(registry, queues: ["default": 1])
            try await eventually("all four ran") { seen.count == 4 }
            try await eventually("rows deleted") { try await fixture.count("SELECT count(*) FROM jobs") == 0 }
            try await worker.stop()
            #expect(seen.ids == [1, 2, 3, 4])
            #expect(try await fixture.count("SELECT coalesce(sum(completed), 0) FROM job_throughput") == 4)
        }
    }

    @Test("a failing job is retried with backoff and is dead after max attempts with every error kept")
    func poisonJobDies() async throws {
        try await QueueFixture.with("poison") { fixture in
            var registry = JobRegistry()
            registry.register(Self.numbered) { _, context in throw Boom(description: "broken on attempt \(context.attempt)") }
            let id = try await fixture.enqueue(Self.numbered, Numbered(n: 1), JobOptions(maxAttempts: 3))
            let worker = fixture.startWorker(registry)
            try await eventually("the job is dead") {
                try await fixture.connection.run { connection in try JobAdmin.job(id, on: connection)?.state == .dead }
            }
            try await worker.stop()
            let record = try #require(try await fixture.connection.run { connection in try JobAdmin.job(id, on: connection) })
            #expect(record.attempt == 3)
            let errors = try await fixture.connection.query("""
                SELECT e->>'error' FROM jobs, jsonb_array_elements(errors) e WHERE id = \(id)
                """).map { try $0.decode(String.self, at: 0) }
            #expect(errors.count == 3)
            #expect(errors.last?.contains("broken on attempt 3") == true)
        }
    }

    @Test("unknown kinds and undecodable arguments go dead at once; snooze does not burn an attempt")
    func deadAtOnceAndSnooze() async throws {
        try await QueueFixture.with("discard") { fixture in
            let snoozes = Recorder()
            let snoozy = JobKind<Nothing>("t.snoozy")
            var registry = JobRegistry()
            registry.register(Self.numbered) { _, _ in }
            registry.register(snoozy) { _, context in
                snoozes.add(context.id, context.attempt)
                if snoozes.count < 3 { throw JobSnooze(.milliseconds(10)) }
            }
            let unknown = try await fixture.connection.run { connection in
                try Jobs.enqueue(try NewJob(kind: "t.nobody", argumentsJSON: "{}"), on: connection)
            }
            let undecodable = try await fixture.connection.run { connection in
                try Jobs.enqueue(try NewJob(kind: "t.numbered", argumentsJSON: #"{"n": "not a number"}"#), on: connection)
            }
            let snoozeID = try await fixture.enqueue(snoozy, Nothing())
            let worker = fixture.startWorker(registry)
            try await eventually("both dead") {
                try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'dead'") == 2
            }
            try await eventually("snoozed job done") { try await fixture.count("SELECT count(*) FROM jobs WHERE id = \(snoozeID)") == 0 }
            try await worker.stop()
            let unknownErrors = try await fixture.connection.query("SELECT errors::text FROM jobs WHERE id = \(unknown.id!)").scalar(String.self)
            #expect(unknownErrors.contains("no handler for kind 't.nobody'"))
            let decodeErrors = try await fixture.connection.query("SELECT errors::text FROM jobs WHERE id = \(undecodable.id!)").scalar(String.self)
            #expect(decodeErrors.contains("do not decode"))
            #expect(snoozes.attempts == [1, 1, 1])
        }
    }

    @Test("a handler over its kind's timeout is failed and retried; a running job can be cancelled")
    func timeoutAndCancel() async throws {
        try await QueueFixture.with("timeout") { fixture in
            let slow = JobKind<Nothing>("t.slow", timeout: .milliseconds(300), backoff: RetryBackoff(base: .milliseconds(10)), maxAttempts: 2)
            let long = JobKind<Nothing>("t.long")
            let started = Recorder()
            var registry = JobRegistry()
            // Ignores cancellation without hogging a thread: a detached sleep is not cancelled with it.
            registry.register(slow) { _, _ in await Task.detached { try? await Task.sleep(for: .seconds(3600)) }.value }
            registry.register(long) { _, context in
                started.add(context.id, context.attempt)
                try await Task.sleep(for: .seconds(60))
            }
            let slowID = try await fixture.enqueue(slow, Nothing())
            let longID = try await fixture.enqueue(long, Nothing())
            let waiting = try await fixture.enqueue(long, Nothing(), JobOptions(delay: .seconds(3600)))
            let worker = fixture.startWorker(registry) { $0.lease = .seconds(3) }
            try await eventually("the long job started") { started.count == 1 }
            #expect(try await fixture.connection.run { connection in try JobAdmin.cancel(longID, on: connection) } == .stopRequested)
            #expect(try await fixture.connection.run { connection in try JobAdmin.cancel(waiting, on: connection) } == .cancelled)
            try await eventually("running job cancelled at a heartbeat") {
                try await fixture.connection.run { connection in try JobAdmin.job(longID, on: connection)?.state == .cancelled }
            }
            try await eventually("slow job dead after two timeouts") {
                try await fixture.connection.run { connection in try JobAdmin.job(slowID, on: connection)?.state == .dead }
            }
            try await worker.stop()
            let errors = try await fixture.connection.query("SELECT errors::text FROM jobs WHERE id = \(slowID)").scalar(String.self)
            #expect(errors.contains("timed out"))
            #expect(try await fixture.connection.run { connection in try JobAdmin.cancel(waiting, on: connection) } == .alreadyFinished(.cancelled))
            await #expect(throws: JobQueueError.self) { try await fixture.connection.run { connection in _ = try JobAdmin.cancel(999_999, on: connection) } }
            // retry brings the dead job back with a fresh attempt count.
            try await fixture.connection.run { connection in try JobAdmin.retry(slowID, on: connection) }
            #expect(try await fixture.connection.run { connection in try JobAdmin.job(slowID, on: connection)?.attempt } == 0)
        }
    }

    @Test("a paused queue is not claimed from until resumed; status reports it")
    func pauseAndResume() async throws {
        try await QueueFixture.with("pause") { fixture in
            let seen = Recorder()
            var registry = JobRegistry()
            registry.register(Self.numbered) { args, context in seen.add(Int64(args.n), context.attempt) }
            #expect(try await fixture.connection.run { connection in try JobAdmin.pause(queue: "default", on: connection) })
            let worker = fixture.startWorker(registry)
            for n in 0..<5 { _ = try await fixture.enqueue(Self.numbered, Numbered(n: n)) }
            try await Task.sleep(for: .milliseconds(600))
            #expect(seen.count == 0)
            let status = try await fixture.connection.run { connection in try JobStatus.read(on: connection) }
            let queue = try #require(status.queues.first { $0.name == "default" })
            #expect(queue.paused && queue.counts["available"] == 5)
            #expect(status.workers.count == 1)
            #expect(try await fixture.connection.run { connection in try JobAdmin.resume(queue: "default", on: connection) })
            try await eventually("all ran after resume") { seen.count == 5 }
            try await worker.stop()
            #expect(try await fixture.count("SELECT count(*) FROM job_workers") == 0)
        }
    }

    @Test("poll-only mode (no LISTEN, for PgBouncer transaction pooling) runs jobs without a listener session",
          .disabled(if: TestDatabase.throughPgBouncer, "names the worker's own sessions in pg_stat_activity; a pooler's sessions are shared"))
    func pollOnly() async throws {
        try await QueueFixture.with("pollonly") { fixture in
            let seen = Recorder()
            var registry = JobRegistry()
            registry.register(Self.numbered) { args, context in seen.add(Int64(args.n), context.attempt) }
            let label = "pollonly\(UInt32.random(in: 0 ... .max))"
            let worker = fixture.startWorker(registry) {
                $0.listen = false
                $0.pollInterval = .milliseconds(100)
                $0.connectionLabel = label
            }
            for n in 0..<20 { _ = try await fixture.enqueue(Self.numbered, Numbered(n: n)) }
            try await eventually("all ran by polling") { seen.count == 20 }
            let sessions = try await fixture.connection.query("""
                SELECT application_name FROM pg_stat_activity WHERE application_name LIKE \(label + "-%")
                """).map { try $0.decode(String.self, at: 0) }
            #expect(sessions.contains("\(label)-claim"))
            #expect(!sessions.contains("\(label)-listener"))
            try await worker.stop()
        }
    }

    @Test("metrics count claims, completions, failures and dead jobs, and time runs and queue waits")
    func metrics() async throws {
        try await QueueFixture.with("metrics") { fixture in
            let metrics = TestMetrics()
            var registry = JobRegistry()
            registry.register(Self.numbered) { args, _ in if args.n < 0 { throw Boom(description: "negative") } }
            for n in [1, 2, -1] { _ = try await fixture.enqueue(Self.numbered, Numbered(n: n), JobOptions(queue: "m", maxAttempts: 1)) }
            let worker = fixture.startWorker(registry, queues: ["m": 4], metrics: metrics)
            try await eventually("all finished") {
                try await fixture.count("SELECT count(*) FROM jobs WHERE state NOT IN ('dead')") == 0
            }
            try await worker.stop()
            let queue = [("queue", "m")]
            let kind = queue + [("kind", "t.numbered")]
            #expect(try metrics.expectCounter("switchboard_jobs_claimed_total", queue).totalValue == 3)
            #expect(try metrics.expectCounter("switchboard_jobs_total", kind + [("outcome", "completed")]).totalValue == 2)
            #expect(try metrics.expectCounter("switchboard_jobs_total", kind + [("outcome", "dead")]).totalValue == 1)
            #expect(throws: (any Error).self) { try metrics.expectCounter("switchboard_jobs_total", kind + [("outcome", "failed")]) }
            #expect(try metrics.expectTimer("switchboard_job_duration_seconds", kind).values.count == 3)
            #expect(try metrics.expectTimer("switchboard_job_queue_wait_seconds", queue).values.count == 3)
        }
    }

    @Test("the leader vacuums the jobs table when dead tuples pile up faster than autovacuum visits")
    func leaderVacuums() async throws {
        try await QueueFixture.with("vacuum") { fixture in
            func vacuums() async throws -> Int {
                try await fixture.count("SELECT vacuum_count::int FROM pg_stat_user_tables WHERE relid = 'jobs'::regclass")
            }
            let before = try await vacuums()
            // Dead tuples from a session that then ends, so its statistics reach the server at once.
            let churn = try await fixture.schema.connect()
            try await churn.execute("INSERT INTO jobs (queue, kind) SELECT 'nobody', 'x' FROM generate_series(1, 3000)")
            try await churn.execute("DELETE FROM jobs")
            await churn.close()
            let worker = fixture.startWorker(JobRegistry(), queues: ["idle": 1]) { $0.vacuumThreshold = 500 }
            try await eventually("a VACUUM by the leader", within: .seconds(60)) { try await vacuums() > before }
            try await worker.stop()
        }
    }

    @Test("one unique key raced by 8 concurrent enqueuers gives one job")
    func uniqueKeyRace() async throws {
        try await QueueFixture.with("uniqrace") { fixture in
            for round in 0..<10 {
                let outcomes = try await withThrowingTaskGroup(of: EnqueueOutcome.self) { group in
                    for n in 0..<8 {
                        group.addTask {
                            let connection = try await fixture.schema.connect()
                            let outcome = try await connection.run { connection in
                                try Jobs.enqueue(Self.numbered, Numbered(n: n), JobOptions(uniqueKey: "race-\(round)"), on: connection)
                            }
                            await connection.close()
                            return outcome
                        }
                    }
                    return try await group.reduce(into: [EnqueueOutcome]()) { $0.append($1) }
                }
                #expect(outcomes.compactMap(\.id).count == 1)
            }
            #expect(try await fixture.count("SELECT count(*) FROM jobs") == 10)
        }
    }

    @Test("completed jobs are kept when retention is asked for, and the retry of every dead job of a queue works")
    func retentionAndRetryDead() async throws {
        try await QueueFixture.with("retain") { fixture in
            var registry = JobRegistry()
            registry.register(Self.numbered) { args, _ in if args.n < 0 { throw JobDiscard("negative") } }
            for n in [-1, -2, 3] { _ = try await fixture.enqueue(Self.numbered, Numbered(n: n)) }
            let worker = fixture.startWorker(registry) { $0.retainCompleted = .seconds(3600) }
            try await eventually("finished") {
                try await fixture.count("SELECT count(*) FROM jobs WHERE state IN ('completed', 'dead')") == 3
            }
            try await worker.stop()
            #expect(try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'completed'") == 1)
            let retried = try await fixture.connection.run { connection in try JobAdmin.retryDead(queue: "default", on: connection) }
            #expect(retried == 2)
            #expect(try await fixture.count("SELECT count(*) FROM jobs WHERE state = 'available'") == 2)
        }
    }

    @Test("scheduled jobs are promoted by the leader when due, and woken workers run them",
          .disabled(if: TestDatabase.throughPgBouncer, "the wake-up is a NOTIFY; through a transaction pooler workers poll"))
    func scheduledPromotion() async throws {
        try await QueueFixture.with("sched") { fixture in
            let seen = Recorder()
            var registry = JobRegistry()
            registry.register(Self.numbered) { args, context in seen.add(Int64(args.n), context.attempt) }
            let worker = fixture.startWorker(registry) { $0.pollInterval = .seconds(120) }
            _ = try await fixture.enqueue(Self.numbered, Numbered(n: 1), JobOptions(delay: .seconds(2)))
            // Far inside the delay, so a busy machine's scheduling cannot make the check late.
            try await Task.sleep(for: .milliseconds(200))
            #expect(seen.count == 0)
            // Under the 120 s poll: only the leader's promotion and its wake-up can run it this soon
            // (the parallel suite on two cores has taken over 25 s to get a new worker that far).
            try await eventually("delayed job ran", within: .seconds(60)) { seen.count == 1 }
            try await worker.stop()
        }
    }
}
