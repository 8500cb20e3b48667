import CommandSupport
import ArgumentParser
import Foundation
import JobQueue
import Postgres

/// `switchboard jobs …`: look at and steer the queue.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Inspect and steer the job queue.",
        subcommands: [Status.self, Enqueue.self, Retry.self, Cancel.self, Pause.self, Resume.self]
    )

    /// Connects (migrating first, so a fresh database answers instead of failing) and runs `body`.
    static func withConnection<T: Sendable>(_ database: DatabaseOptions,
                                            _ body: @Sendable (isolated PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await database.connectMigrated(try database.resolve())
        do {
            let value = try await connection.run(body)
            await connection.close()
            return value
        } catch {
            await connection.close()
            throw error
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Per queue: jobs by state, age of the oldest available job, completions in the last minute; live workers.")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "One JSON object instead of tables.") var json = false

        func run() async throws {
            let status = try await JobsCommand.withConnection(database) { connection in try JobStatus.read(on: connection) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(status), as: UTF8.self))
                return
            }
            let states = JobState.allCases.map(\.rawValue)
            print(pad("queue", 16) + states.map { pad($0, 11) }.joined() + pad("oldest", 10) + pad("done/min", 10) + "failed/min")
            for queue in status.queues {
                let age = queue.oldestAvailableAgeSeconds.map { String(format: "%.1fs", $0) } ?? "-"
                print(pad(queue.name + (queue.paused ? " (paused)" : ""), 16)
                      + states.map { pad(String(queue.counts[$0] ?? 0), 11) }.joined()
                      + pad(age, 10) + pad(String(queue.completedLastMinute), 10) + String(queue.failedLastMinute))
            }
            if status.queues.isEmpty { print("(no jobs)") }
            print("")
            print(pad("worker", 8) + pad("host", 20) + pad("pid", 9) + pad("in flight", 11) + pad("heartbeat", 11) + "queues")
            for worker in status.workers {
                let queues = worker.queues.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                print(pad("\(worker.id)\(worker.isLeader ? "*" : "")", 8) + pad(worker.host, 20) + pad(String(worker.pid), 9)
                      + pad(String(worker.inFlight), 11) + pad(String(format: "%.1fs ago", worker.heartbeatAgeSeconds), 11) + queues)
            }
            if status.workers.isEmpty { print("(no live workers)") } else { print("* leader") }
        }

        private func pad(_ text: String, _ width: Int) -> String {
            text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
        }
    }

    struct Enqueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enqueue one job of any kind with JSON arguments.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The job kind, e.g. switchboard.noop.") var kind: String
        @Option(help: "Arguments as a JSON object.") var args = "{}"
        @Option(help: "Queue name.") var queue = "default"
        @Option(help: "Priority (lower runs first).") var priority: Int16 = 0
        @Option(help: "Seconds to wait before it may run.") var delay = 0.0
        @Option(name: .customLong("max-attempts"), help: "Attempts before it is dead.") var maxAttempts = 25
        @Option(name: .customLong("unique-key"), help: "Skip if a live job has this key.") var uniqueKey: String?

        func run() async throws {
            let options = JobOptions(queue: queue, priority: priority, delay: delay > 0 ? .milliseconds(Int64(delay * 1000)) : nil,
                                     maxAttempts: maxAttempts, uniqueKey: uniqueKey)
            let job = try NewJob(kind: kind, argumentsJSON: args, options)
            let outcome = try await JobsCommand.withConnection(database) { connection in try Jobs.enqueue(job, on: connection) }
            switch outcome {
            case .enqueued(let id): print("enqueued job \(id)")
            case .duplicate(let key): print("skipped: a live job already holds unique key '\(key)'")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a dead, cancelled or scheduled job available now, or every dead job of a queue.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The job id.") var id: Int64?
        @Option(name: .customLong("dead"), help: "Retry every dead job of this queue.") var deadQueue: String?

        func validate() throws {
            guard (id == nil) != (deadQueue == nil) else { throw ValidationError("give either a job ID or --dead QUEUE") }
        }

        func run() async throws {
            if let deadQueue {
                let count = try await JobsCommand.withConnection(database) { connection in try JobAdmin.retryDead(queue: deadQueue, on: connection) }
                print("\(count) dead job\(count == 1 ? "" : "s") of queue '\(deadQueue)' made available")
            } else if let id {
                try await JobsCommand.withConnection(database) { connection in try JobAdmin.retry(id, on: connection) }
                print("job \(id) is available again")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a waiting job, or ask the worker running it to stop.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The job id.") var id: Int64

        func run() async throws {
            let outcome = try await JobsCommand.withConnection(database) { connection in try JobAdmin.cancel(id, on: connection) }
            switch outcome {
            case .cancelled: print("job \(id) cancelled")
            case .stopRequested: print("job \(id) is running; its worker will stop it at its next heartbeat")
            case .alreadyFinished(let state): throw CommandFailure("job \(id) already finished: \(state.rawValue)")
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop workers claiming from a queue (running jobs finish).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The queue name.") var queue: String

        func run() async throws {
            let changed = try await JobsCommand.withConnection(database) { connection in try JobAdmin.pause(queue: queue, on: connection) }
            print(changed ? "queue '\(queue)' paused" : "queue '\(queue)' was already paused")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let workers claim from a paused queue again.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The queue name.") var queue: String

        func run() async throws {
            let changed = try await JobsCommand.withConnection(database) { connection in try JobAdmin.resume(queue: queue, on: connection) }
            print(changed ? "queue '\(queue)' resumed" : "queue '\(queue)' was not paused")
        }
    }
}
