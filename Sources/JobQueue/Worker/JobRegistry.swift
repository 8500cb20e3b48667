public import Logging
public import Foundation

/// What a handler knows about the job it runs.
public struct JobContext: Sendable {
    public let id: Int64
    public let kind: String
    public let queue: String
    /// 1 on the first run.
    public let attempt: Int
    public let maxAttempts: Int
    public let createdAt: Date
    /// When the job became due.
    public let runAt: Date
    public let metadata: [String: String]
    /// Carries `job.id`, `job.kind` and `queue`.
    public let logger: Logger
}

/// Thrown by a handler: run the job again after `delay` without counting an attempt.
public struct JobSnooze: Error, Sendable {
    public let delay: Duration
    public init(_ delay: Duration) { self.delay = delay }
}

/// Thrown by a handler: this job can never succeed; make it dead now, with this reason.
public struct JobDiscard: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ reason: String) { self.description = reason }
}

/// The handlers a worker process knows, by kind name.
public struct JobRegistry: Sendable {
    struct Handler: Sendable {
        let timeout: Duration
        let backoff: RetryBackoff
        let run: @Sendable (String, JobContext) async throws -> Void
    }

    private(set) var handlers: [String: Handler] = [:]

    public init() {}

    /// Registers the handler for `kind`. Arguments that do not decode make the job dead at once
    /// (retrying cannot fix them); errors the handler throws are retried with the kind's backoff.
    public mutating func register<A>(_ kind: JobKind<A>, _ handler: @escaping @Sendable (A, JobContext) async throws -> Void) {
        handlers[kind.name] = Handler(timeout: kind.timeout, backoff: kind.backoff) { json, context in
            let args: A
            do { args = try JobCoding.decode(A.self, from: json) } catch {
                throw JobDiscard("arguments do not decode as \(A.self): \(error)")
            }
            try await handler(args, context)
        }
    }

    /// Names of the registered kinds.
    public var kinds: [String] { handlers.keys.sorted() }

    subscript(kind: String) -> Handler? { handlers[kind] }
}
