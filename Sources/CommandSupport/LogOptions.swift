public import ArgumentParser
public import Foundation
public import Logging

/// How a long-running command logs: `--log-level` (else `SWITCHBOARD_LOG_LEVEL`, else info) and
/// `--log-format text|json` (else `SWITCHBOARD_LOG_FORMAT`, else text). JSON is one object per
/// line on stderr, for a log collector.
public struct LogOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default: $SWITCHBOARD_LOG_LEVEL, else info).")
    public var level: String?

    @Option(name: .customLong("log-format"), help: "text or json: one JSON object per line (default: $SWITCHBOARD_LOG_FORMAT, else text).")
    public var format: String?

    /// Installs the handler for the whole process; call once, first thing.
    public func bootstrap(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let levelName = level ?? environment["SWITCHBOARD_LOG_LEVEL"].flatMap { $0.isEmpty ? nil : $0 } ?? "info"
        guard let logLevel = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ValidationError("unknown log level '\(levelName)': use trace, debug, info, notice, warning, error or critical")
        }
        let formatName = format ?? environment["SWITCHBOARD_LOG_FORMAT"].flatMap { $0.isEmpty ? nil : $0 } ?? "text"
        switch formatName.lowercased() {
        case "text":
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return RedactingLogHandler(handler)
            }
        case "json":
            LoggingSystem.bootstrap { label in RedactingLogHandler(JSONLogHandler(label: label, logLevel: logLevel)) }
        default:
            throw ValidationError("unknown log format '\(formatName)': use text or json")
        }
    }
}

/// One JSON object per log line on stderr: `time`, `level`, `logger`, `message`, then every
/// metadata key as it was given (`job.id`, `queue`, …), nested metadata as JSON.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, logLevel: Logger.Level = .info) {
        self.label = label
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [:]
        var all = metadata
        if let provided = metadataProvider?.get() { all.merge(provided) { $1 } }
        if let given = event.metadata { all.merge(given) { $1 } }
        for (key, value) in all { object[key] = Self.json(value) }
        if let error = event.error { object["error"] = "\(error)" }
        object["time"] = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))
        object["level"] = event.level.rawValue
        object["logger"] = label
        object["message"] = event.message.description
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        line.append(0x0A)
        FileHandle.standardError.write(line)
    }

    private static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let entries): entries.mapValues(json)
        }
    }
}

/// Keeps personal data out of the logs whatever a message or an error quotes (a provider's
/// refusal naming the recipient, a database error showing a key): email addresses become
/// `<email>` and phone numbers `<phone>` in the message and every metadata value, before the
/// wrapped handler writes the line.
public struct RedactingLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner

    public init(_ inner: Inner) { self.inner = inner }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }
    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }
    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: LogRedaction.redact(event.message.description))
        event.metadata = event.metadata?.mapValues(LogRedaction.redact)
        inner.log(event: event)
    }
}

/// The patterns ``RedactingLogHandler`` replaces.
public enum LogRedaction {
    // An address (local@domain.tld) and a phone number (+ and 7–15 digits, spaces or dashes
    // between groups allowed); ids, counts and times have no @ and no leading +.
    nonisolated(unsafe) private static let email = #/[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}/#
    nonisolated(unsafe) private static let phone = #/\+[0-9](?:[ \-]?[0-9]){6,14}/#

    public static func redact(_ text: String) -> String {
        guard text.contains("@") || text.contains("+") else { return text }
        return text.replacing(email, with: "<email>").replacing(phone, with: "<phone>")
    }

    static func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): .string(redact(text))
        case .stringConvertible(let convertible): .string(redact(convertible.description))
        case .array(let values): .array(values.map(redact))
        case .dictionary(let entries): .dictionary(entries.mapValues(redact))
        }
    }
}

/// What this build is, for `switchboard_build_info` and `--version`.
public enum SwitchboardBuild {
    public static let version = "0.17.0-dev"
}
