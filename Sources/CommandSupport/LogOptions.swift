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
                return handler
            }
        case "json":
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: logLevel) }
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

/// What this build is, for `switchboard_build_info` and `--version`.
public enum SwitchboardBuild {
    public static let version = "0.17.0-dev"
}
