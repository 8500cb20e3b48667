/// An error from PostgreSQL, from libpq, or from this module's own checks.
///
/// Its plain `description` is safe to log: it names the SQLSTATE, the constraint and the table,
/// but never parameter values or the row data a server `detail` may quote. Use `debugDescription`
/// (or the fields) when you need everything the server said.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Where the error came from.
    public enum Kind: Sendable, Equatable {
        /// The server answered with an error (`sqlState` is set).
        case server
        /// A connection could not be made, or it was lost while in use.
        case connection
        /// A value could not be sent (e.g. text containing a NUL byte).
        case invalidParameter
        /// The connection pool had no connection within its acquire timeout, or was shut down.
        case pool
        /// Anything else libpq reported, such as a protocol error.
        case client
    }

    public var kind: Kind
    /// The five-character SQLSTATE (e.g. `23505`), when the server sent one.
    public var sqlState: String?
    /// `ERROR`, `FATAL` or `PANIC` (not localised), when the server sent one.
    public var severity: String?
    /// The primary message.
    public var message: String
    public var detail: String?
    public var hint: String?
    /// 1-based character offset into the statement where the server found the problem.
    public var position: Int?
    public var schema: String?
    public var table: String?
    public var column: String?
    public var constraint: String?
    /// What was being attempted, e.g. `connecting to host=/x port=5432 dbname=d user=u`.
    public var context: String?

    public init(kind: Kind, message: String, sqlState: String? = nil, context: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.context = context
    }

    /// `23505`: a unique or primary key constraint refused a duplicate.
    public var isUniqueViolation: Bool { code == .uniqueViolation }
    /// `40001`: retry the whole transaction.
    public var isSerializationFailure: Bool { code == .serializationFailure }
    /// `40P01`: retry the whole transaction.
    public var isDeadlock: Bool { code == .deadlockDetected }
    /// The connection is unusable: it could not be made, the server went away, or the
    /// server ended the session (SQLSTATE class 08, 57P01–57P03 admin/crash shutdown).
    public var isConnectionFailure: Bool {
        if kind == .connection { return true }
        guard let code = sqlState else { return false }
        return code.hasPrefix("08") || [Code.adminShutdown, .crashShutdown, .cannotConnectNow].contains(Code(rawValue: code))
    }

    public var description: String {
        var text = ""
        if let severity { text += severity + " " }
        if let sqlState { text += "\(sqlState) " }
        text += Self.redactingValues(in: message, sqlState: sqlState)
        if let constraint { text += " (constraint \(constraint)" + (table.map { " on table \($0)" } ?? "") + ")" }
        else if let table { text += " (table \(table))" }
        if let context { text += " while \(context)" }
        return text
    }

    public var debugDescription: String {
        var text = "PostgresError(\(kind)"
        if let sqlState { text += ", sqlState: \(sqlState)" }
        if let severity { text += ", severity: \(severity)" }
        text += ", message: \(message)"
        if let detail { text += ", detail: \(detail)" }
        if let hint { text += ", hint: \(hint)" }
        if let position { text += ", position: \(position)" }
        if let schema { text += ", schema: \(schema)" }
        if let table { text += ", table: \(table)" }
        if let column { text += ", column: \(column)" }
        if let constraint { text += ", constraint: \(constraint)" }
        if let context { text += ", context: \(context)" }
        return text + ")"
    }

    /// Data exceptions (class 22) quote the offending input, e.g.
    /// `invalid input syntax for type integer: "secret"`; those quotes are replaced by `"…"`.
    static func redactingValues(in message: String, sqlState: String?) -> String {
        guard let sqlState, sqlState.hasPrefix("22") else { return message }
        var output = ""
        var inQuote = false
        for character in message {
            if character == "\"" {
                output += inQuote ? "…\"" : "\""
                inQuote.toggle()
            } else if !inQuote {
                output.append(character)
            }
        }
        return output
    }
}
