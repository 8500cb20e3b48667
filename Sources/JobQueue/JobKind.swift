public import Postgres
public import Foundation

/// A kind of job and the type of its arguments. Declare one per kind and use it both to enqueue
/// and to register the handler, so producer and worker agree on the argument shape:
///
/// ```swift
/// static let sendReceipt = JobKind<ReceiptArgs>("send_receipt", timeout: .seconds(30))
/// ```
public struct JobKind<Arguments: Codable & Sendable>: Sendable {
    /// Stored in `jobs.kind`; what a worker looks handlers up by.
    public let name: String
    /// A run that takes longer is cancelled and counted as a failed attempt.
    public var timeout: Duration
    /// Delay before each retry.
    public var backoff: RetryBackoff
    /// Attempts before the job is dead, unless the enqueue options say otherwise.
    public var maxAttempts: Int

    public init(_ name: String, timeout: Duration = .seconds(300), backoff: RetryBackoff = .init(), maxAttempts: Int = 25) {
        self.name = name
        self.timeout = timeout
        self.backoff = backoff
        self.maxAttempts = maxAttempts
    }
}

/// Exponential backoff with jitter: attempt n waits about `base × 2^(n-1)`, capped at `maximum`,
/// scaled by a random factor in `1 ± jitter` so that jobs failing together do not retry together.
public struct RetryBackoff: Sendable {
    public var base: Duration
    public var maximum: Duration
    public var jitter: Double

    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(3600), jitter: Double = 0.25) {
        self.base = base
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay after failed attempt `attempt` (1-based).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let exponent = Double(min(max(attempt - 1, 0), 62))
        let raw = min(base.seconds * pow(2, exponent), maximum.seconds)
        let factor = jitter == 0 ? 1 : Double.random(in: (1 - jitter)...(1 + jitter))
        return .milliseconds(Int64((raw * factor * 1000).rounded()))
    }
}

/// Where and how a job runs. Every field has a default.
public struct JobOptions: Sendable {
    public var queue: String
    /// Lower runs first.
    public var priority: Int16
    /// When the job may run; `nil` means now.
    public var runAt: Date?
    /// Overrides the kind's `maxAttempts`.
    public var maxAttempts: Int?
    /// While a job with this key is scheduled, available or running, another enqueue with the
    /// same key is skipped and reported as a duplicate.
    public var uniqueKey: String?
    /// Free-form labels kept with the job (never personal data: the job outlives nothing but
    /// may be read by operators).
    public var metadata: [String: String]

    public init(queue: String = "default", priority: Int16 = 0, runAt: Date? = nil, delay: Duration? = nil,
                maxAttempts: Int? = nil, uniqueKey: String? = nil, metadata: [String: String] = [:]) {
        self.queue = queue
        self.priority = priority
        self.runAt = runAt ?? delay.map { Date().addingTimeInterval($0.seconds) }
        self.maxAttempts = maxAttempts
        self.uniqueKey = uniqueKey
        self.metadata = metadata
    }
}

/// What an enqueue did with one job.
public enum EnqueueOutcome: Sendable, Equatable {
    /// Inserted with this id.
    case enqueued(Int64)
    /// Skipped: a live job already holds the unique key.
    case duplicate(uniqueKey: String)

    public var id: Int64? {
        if case .enqueued(let id) = self { return id }
        return nil
    }
}

/// A job to enqueue in a batch: kind, encoded arguments and options.
public struct NewJob: Sendable {
    public let kind: String
    public let args: String
    public let options: JobOptions
    let maxAttempts: Int
    /// `options.metadata` as stored, encoded once.
    let metadataJSON: String

    public init<A>(_ kind: JobKind<A>, _ args: A, _ options: JobOptions = .init()) throws {
        self.kind = kind.name
        self.args = try JobCoding.encode(args)
        self.options = options
        self.maxAttempts = options.maxAttempts ?? kind.maxAttempts
        self.metadataJSON = try JobCoding.encodeMetadata(options.metadata)
    }

    /// A job of a kind known only by name, with arguments already in JSON (operators, scripts).
    public init(kind: String, argumentsJSON: String, _ options: JobOptions = .init()) throws {
        guard let data = argumentsJSON.data(using: .utf8),
              (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw JobQueueError(.invalidJob, "job arguments are not valid JSON: \(argumentsJSON.prefix(80))")
        }
        self.kind = kind
        self.args = argumentsJSON
        self.options = options
        self.maxAttempts = options.maxAttempts ?? 25
        self.metadataJSON = try JobCoding.encodeMetadata(options.metadata)
    }
}

/// A job's state as stored in `jobs.state`.
public enum JobState: String, PostgresTextEnum, Codable {
    case scheduled, available, running, completed, dead, cancelled
}

enum JobCoding {
    static func encode<A: Encodable>(_ value: A) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Most jobs carry no metadata: skip the encoder for them.
    static func encodeMetadata(_ metadata: [String: String]) throws -> String {
        metadata.isEmpty ? "{}" : try encode(metadata)
    }

    /// The stored metadata back as labels; "{}" (the usual case) without a decoder.
    static func decodeMetadata(_ json: String) -> [String: String] {
        json == "{}" ? [:] : (try? decode([String: String].self, from: json)) ?? [:]
    }

    static func decode<A: Decodable>(_ type: A.Type, from json: String) throws -> A {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(json.utf8))
    }
}

extension Duration {
    /// The duration in seconds, fractional.
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }

    /// Whole milliseconds, for SQL intervals written as `$n * interval '1 millisecond'`.
    var wholeMilliseconds: Int64 {
        let (s, attoseconds) = components
        return s * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
