import Foundation
import CLibPQ

/// Where and how to connect: a `postgres://` / `postgresql://` URL or a libpq conninfo string
/// (`host=/run/pg dbname=app`), validated by libpq itself.
public struct PostgresConfiguration: Sendable {
    /// The URL or conninfo, exactly as given (may contain a password: never log it).
    public let connectionString: String
    /// Reported in `pg_stat_activity` unless the connection string sets one.
    public var applicationName: String
    /// Seconds to wait for a connection, unless the connection string sets `connect_timeout`.
    public var connectTimeoutSeconds: Int
    /// What the connection string points at, without any password: `host=… port=… dbname=… user=…`.
    public let target: String

    /// Parses and validates the connection string; a malformed one is refused with libpq's reason.
    public init(_ connectionString: String, applicationName: String = "switchboard", connectTimeoutSeconds: Int = 10) throws {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.target = try Self.describe(connectionString)
    }

    /// The same target with `search_path` set to `schema` for every session (through the
    /// `options` connection parameter), e.g. to give each test or tenant a schema of its own.
    public func withSearchPath(_ schema: String) throws -> PostgresConfiguration {
        try appending(["options": "-csearch_path=" + PostgresQuery.quoteIdentifier(schema)])
    }

    /// The same target, logging in as `user` with `password` (they replace any the connection
    /// string gives), e.g. to connect as each of the process kinds' roles.
    public func withCredentials(user: String, password: String) throws -> PostgresConfiguration {
        try appending(["user": user, "password": password])
    }

    /// The connection string with `parameters` added after what it says, so that they win: URL
    /// query parameters, or conninfo `keyword='value'` pairs.
    private func appending(_ parameters: [String: String]) throws -> PostgresConfiguration {
        let extended: String
        if connectionString.contains("://") {
            let query = parameters.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }
            extended = connectionString + (connectionString.contains("?") ? "&" : "?") + query.joined(separator: "&")
        } else {
            let pairs = parameters.sorted { $0.key < $1.key }.map { key, value in
                "\(key)='\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'"))'"
            }
            extended = connectionString + " " + pairs.joined(separator: " ")
        }
        return try PostgresConfiguration(extended, applicationName: applicationName, connectTimeoutSeconds: connectTimeoutSeconds)
    }

    /// Parses with `PQconninfoParse` and keeps the parts worth showing.
    private static func describe(_ connectionString: String) throws -> String {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
            if let errorMessage { PQfreemem(errorMessage) }
            let shape = connectionString.contains("://") ? "URL" : "conninfo string"
            throw PostgresError(kind: .connection, message: "malformed connection \(shape): \(reason.trimmed)")
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        let shown = ["host", "hostaddr", "port", "dbname", "user"].compactMap { key in values[key].map { "\(key)=\($0)" } }
        return shown.isEmpty ? "the libpq defaults (PGHOST, PGPORT, PGDATABASE, PGUSER)" : shown.joined(separator: " ")
    }
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
