public import Foundation

/// One parameter value on its way to the server.
public struct PostgresBind: Sendable {
    public enum Value: Sendable {
        /// Sent in PostgreSQL's text format.
        case text(String)
        /// Sent in binary format (bytea only), so no escaping or size doubling is needed.
        case binary([UInt8])
    }

    public var type: PostgresDataType
    /// `nil` is SQL NULL.
    public var value: Value?

    public init(type: PostgresDataType, value: Value?) {
        self.type = type
        self.value = value
    }
}

/// A Swift value that can be bound as a query parameter or written by COPY.
public protocol PostgresEncodable: Sendable {
    /// The type the server is told the parameter has (`.unspecified` lets it infer one).
    static var postgresDataType: PostgresDataType { get }
    /// The value in PostgreSQL's text format (bytea may use binary); `nil` is SQL NULL.
    var postgresValue: PostgresBind.Value? { get }
}

extension PostgresEncodable {
    public var postgresBind: PostgresBind { PostgresBind(type: Self.postgresDataType, value: postgresValue) }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { Wrapped.postgresDataType }
    public var postgresValue: PostgresBind.Value? { self.flatMap { $0.postgresValue } }
}

extension String: PostgresEncodable {
    // Untyped, like a quoted literal: `WHERE id = $1` works whatever the column's type.
    public static var postgresDataType: PostgresDataType { .unspecified }
    public var postgresValue: PostgresBind.Value? { .text(self) }
}

extension Substring: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .unspecified }
    public var postgresValue: PostgresBind.Value? { .text(String(self)) }
}

extension Int: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public var postgresValue: PostgresBind.Value? { .text(String(self)) }
}

extension Int64: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int8 }
    public var postgresValue: PostgresBind.Value? { .text(String(self)) }
}

extension Int32: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int4 }
    public var postgresValue: PostgresBind.Value? { .text(String(self)) }
}

extension Int16: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .int2 }
    public var postgresValue: PostgresBind.Value? { .text(String(self)) }
}

extension Double: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .float8 }
    public var postgresValue: PostgresBind.Value? {
        if isNaN { return .text("NaN") }
        if isInfinite { return .text(self < 0 ? "-Infinity" : "Infinity") }
        return .text("\(self)")
    }
}

extension Bool: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .bool }
    public var postgresValue: PostgresBind.Value? { .text(self ? "t" : "f") }
}

extension UUID: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .uuid }
    public var postgresValue: PostgresBind.Value? { .text(uuidString.lowercased()) }
}

extension Decimal: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .numeric }
    public var postgresValue: PostgresBind.Value? { .text(isNaN ? "NaN" : description) }
}

extension Data: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .bytea }
    public var postgresValue: PostgresBind.Value? { .binary([UInt8](self)) }
}

extension Date: PostgresEncodable {
    public static var postgresDataType: PostgresDataType { .timestamptz }
    /// ISO 8601 in UTC with microseconds: independent of the session's DateStyle and TimeZone.
    public var postgresValue: PostgresBind.Value? { .text(PostgresTimestamp.format(self)) }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresDataType: PostgresDataType { Element.postgresArrayType }
    public var postgresValue: PostgresBind.Value? { .text(PostgresArrayLiteral.encode(self.map { $0.postgresArrayText })) }
}

/// A value stored as JSON: any `Codable` type, sent as `jsonb` and decoded from `json` or `jsonb`.
public struct PostgresJSON<Value: Codable & Sendable>: PostgresEncodable, PostgresDecodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public static var postgresDataType: PostgresDataType { .jsonb }
    public var postgresValue: PostgresBind.Value? {
        // Encoding a Codable value to JSON fails only for non-conforming floats (NaN/inf); those are
        // sent as JSON null rather than crashing, and the server's constraints decide.
        let data = (try? PostgresJSONCoding.encoder.encode(value)) ?? Data("null".utf8)
        return .text(String(decoding: data, as: UTF8.self))
    }

    public static func decode(from cell: PostgresCell) throws -> PostgresJSON<Value> {
        guard [.json, .jsonb, .text, .varchar, .unknown].contains(cell.type) else { throw cell.error(decoding: Self.self) }
        do {
            return PostgresJSON(try PostgresJSONCoding.decoder.decode(Value.self, from: Data(cell.bytes)))
        } catch {
            throw cell.error(decoding: Self.self, reason: "\(error)")
        }
    }
}

enum PostgresJSONCoding {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
