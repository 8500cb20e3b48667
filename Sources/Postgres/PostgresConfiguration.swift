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
    /// Whether each session is the client's own (a direct connection, or a pooler in session mode)
    /// or lent for one transaction at a time (PgBouncer's `pool_mode = transaction`).
    public var pooling: PostgresPooling = .session

    /// Parses and validates the connection string; a malformed one is refused with libpq's reason.
    public init(_ connectionString: String, applicationName: String = "switchboard", connectTimeoutSeconds: Int = 10) throws {
        self.connectionString = connectionString
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.target = try Self.describe(connectionString)
    }

    /// The same target with `search_path` set to `schema` for every session (through the
    /// `options` connection parameter), e.g. to give each test or tenant a schema of its own.
    ///
    /// Refused through a transaction pooler, which refuses the `options` parameter (PgBouncer
    /// 1.18: "unsupported startup parameter: options"): give the schema a pooler database of its
    /// own with `connect_query`, or the role a search path with `ALTER ROLE … SET search_path`.
    public func withSearchPath(_ schema: String) throws -> PostgresConfiguration {
        guard pooling == .session else {
            throw PostgresError(kind: .invalidParameter, message: "a schema cannot be chosen per connection through a transaction pooler (it refuses the options parameter): give the schema a pooler database of its own whose connect_query sets search_path, or the role a search path (ALTER ROLE … SET search_path)")
        }
        return try appending(["options": "-csearch_path=" + PostgresQuery.quoteIdentifier(schema)])
    }

    /// The same target, reached as `pooling` says.
    public func pooled(_ pooling: PostgresPooling) -> PostgresConfiguration {
        var copy = self
        copy.pooling = pooling
        return copy
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
            .pooled(pooling)
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

/// How sessions reach the server.
public enum PostgresPooling: String, Sendable, CaseIterable {
    /// The session is the client's for as long as it is open: named prepared statements, `SET`,
    /// `LISTEN` and session advisory locks all work.
    case session
    /// A transaction pooler lends a server session for one transaction at a time, so nothing may
    /// outlive a transaction: statements go unnamed (parsed and planned each time), settings are
    /// made per transaction (``PostgresConnection/useSettings(_:)``), and `LISTEN` and session
    /// advisory locks are refused.
    case transaction
}

extension String {
    var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
}
