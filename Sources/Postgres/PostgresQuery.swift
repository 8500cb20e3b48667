import Foundation
import CLibPQ

/// A SQL statement whose interpolated values travel as parameters, never as SQL text.
///
/// ```swift
/// let query: PostgresQuery = "SELECT name FROM customers WHERE id = \(id) AND store = \(store)"
/// // sql: "SELECT name FROM customers WHERE id = $1 AND store = $2", binds: [id, store]
/// ```
/// Identifiers (schema, table, channel names) use `\(identifier: name)`, which quotes them.
/// SQL built from strings at run time goes through ``init(unsafeSQL:)``, whose name says what it is.
public struct PostgresQuery: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    public private(set) var sql: String
    public private(set) var binds: [PostgresBind]

    /// SQL text taken as is. Never pass text that contains input from outside the program.
    public init(unsafeSQL sql: String, binds: [PostgresBind] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    public init(stringInterpolation: StringInterpolation) {
        self.init(unsafeSQL: stringInterpolation.sql, binds: stringInterpolation.binds)
    }

    /// The SQL with placeholders and the parameter count, never the values.
    public var description: String { "\(sql) [\(binds.count) parameter\(binds.count == 1 ? "" : "s")]" }

    /// The parameters' type OIDs, as libpq takes them.
    var parameterTypes: [Oid] { binds.map { Oid($0.type.oid) } }

    /// The key prepared statements are cached under: text and parameter types.
    var statementKey: String {
        var key = sql
        key.reserveCapacity(sql.utf8.count + binds.count * 5)
        for bind in binds { key += ":\(bind.type.oid)" }
        return key
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [PostgresBind] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount * 3)
            binds.reserveCapacity(interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) {
            sql += literal
        }

        /// Binds the value as the next `$n` parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value) {
            binds.append(value.postgresBind)
            sql += "$\(binds.count)"
        }

        /// Binds the value, or NULL, as the next `$n` parameter.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            binds.append(value.postgresBind)
            sql += "$\(binds.count)"
        }

        /// Binds an already-encoded parameter.
        public mutating func appendInterpolation(bind: PostgresBind) {
            binds.append(bind)
            sql += "$\(binds.count)"
        }

        /// Binds a `Codable` value as `jsonb`.
        public mutating func appendInterpolation<Value: Codable & Sendable>(json value: Value) {
            appendInterpolation(PostgresJSON(value))
        }

        /// Inserts a quoted identifier (`"my ""odd"" table"`): safe for any name.
        public mutating func appendInterpolation(identifier: String) {
            sql += PostgresQuery.quoteIdentifier(identifier)
        }

        /// Inserts another query's text, renumbering its `$n` parameters to follow this one's, so
        /// statements can be composed from parts. The part must not contain `$` other than its
        /// parameters (no dollar-quoted strings).
        public mutating func appendInterpolation(subquery: PostgresQuery) {
            let offset = binds.count
            var text = ""
            var index = subquery.sql.startIndex
            while index < subquery.sql.endIndex {
                let character = subquery.sql[index]
                index = subquery.sql.index(after: index)
                guard character == "$" else { text.append(character); continue }
                let digits = subquery.sql[index...].prefix(while: \.isASCII).prefix(while: \.isNumber)
                guard let number = Int(digits) else { text.append(character); continue }
                text += "$\(number + offset)"
                index = digits.endIndex
            }
            sql += text
            binds += subquery.binds
        }

        /// Inserts SQL text as is. Never pass text that contains input from outside the program.
        public mutating func appendInterpolation(unsafeSQL text: String) {
            sql += text
        }
    }

    /// Double-quotes an identifier, doubling embedded quotes, as `quote_ident` does.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
