public import Foundation

/// One non-NULL field of a result, as the server sent it in text format.
///
/// Valid only while the row's result is alive; decoders copy what they keep.
public struct PostgresCell {
    public let bytes: UnsafeRawBufferPointer
    public let type: PostgresDataType
    let result: PostgresResult
    let column: Int

    /// The name of the cell's column (looked up only when needed: errors are the rare path).
    public var columnName: String { result.columnName(column) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// A decoding error naming this column, the Swift type and the PostgreSQL type.
    public func error<T>(decoding swiftType: T.Type, reason: String? = nil) -> PostgresDecodingError {
        PostgresDecodingError(column: columnName, swiftType: String(describing: swiftType), postgresType: type.description,
                              value: text, reason: reason)
    }
}

/// A result value that could not become the requested Swift type.
public struct PostgresDecodingError: Error, Sendable, CustomStringConvertible {
    public var column: String
    public var swiftType: String
    public var postgresType: String
    /// The first characters of the text value, or nil for NULL.
    public var value: String?
    public var reason: String?

    public init(column: String, swiftType: String, postgresType: String, value: String?, reason: String? = nil) {
        self.column = column
        self.swiftType = swiftType
        self.postgresType = postgresType
        self.value = value.map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 }
        self.reason = reason
    }

    public var description: String {
        let shown = value.map { "value \(String(reflecting: $0))" } ?? "NULL"
        return "cannot decode column \"\(column)\" of type \(postgresType) (\(shown)) as \(swiftType)"
            + (reason.map { ": \($0)" } ?? (value == nil ? ": decode it as an Optional" : ""))
    }
}

/// A Swift type that can be read from a result field in text format.
public protocol PostgresDecodable: Sendable {
    static func decode(from cell: PostgresCell) throws -> Self
}

extension PostgresCell {
    func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard [.int2, .int4, .int8, .oidType, .numeric, .text, .varchar, .unknown].contains(self.type) else {
            throw error(decoding: T.self)
        }
        guard let value = T(text) else {
            throw error(decoding: T.self, reason: "not an integer in \(T.self)'s range")
        }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int { try cell.integer(Int.self) }
}
extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int64 { try cell.integer(Int64.self) }
}
extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int32 { try cell.integer(Int32.self) }
}
extension Int16: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Int16 { try cell.integer(Int16.self) }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Double {
        guard [.float4, .float8, .numeric, .int2, .int4, .int8, .text, .unknown].contains(cell.type) else {
            throw cell.error(decoding: Double.self)
        }
        switch cell.text {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        case let text:
            guard let value = Double(text) else { throw cell.error(decoding: Double.self, reason: "not a number") }
            return value
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Bool {
        guard cell.type == .bool, cell.bytes.count == 1 else { throw cell.error(decoding: Bool.self) }
        switch cell.bytes[0] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: throw cell.error(decoding: Bool.self)
        }
    }
}

extension String: PostgresDecodable {
    /// Any type's text form decodes as a String, except bytea, whose text form is an escape format.
    public static func decode(from cell: PostgresCell) throws -> String {
        guard cell.type != .bytea else { throw cell.error(decoding: String.self, reason: "decode bytea as Data") }
        return cell.text
    }
}

extension UUID: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> UUID {
        guard cell.type == .uuid || cell.type.isTextual, let uuid = UUID(uuidString: cell.text) else {
            throw cell.error(decoding: UUID.self)
        }
        return uuid
    }
}

extension Decimal: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Decimal {
        guard [.numeric, .int2, .int4, .int8, .text, .unknown].contains(cell.type) else { throw cell.error(decoding: Decimal.self) }
        let text = cell.text
        if text == "NaN" { return .nan }
        guard let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else {
            throw cell.error(decoding: Decimal.self, reason: "not a decimal number")
        }
        return value
    }
}

extension Date: PostgresDecodable {
    /// `timestamptz` (any session TimeZone), `timestamp` (taken as UTC) and `date` (midnight UTC),
    /// in the ISO DateStyle that is PostgreSQL's default.
    public static func decode(from cell: PostgresCell) throws -> Date {
        guard [.timestamptz, .timestamp, .date].contains(cell.type) else { throw cell.error(decoding: Date.self) }
        guard let date = PostgresTimestamp.parse(cell.bytes) else {
            throw cell.error(decoding: Date.self, reason: "expected ISO DateStyle, a finite AD date")
        }
        return date
    }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public static func decode(from cell: PostgresCell) throws -> [Element] {
        guard [.textArray, .varcharArray, .int8Array, .int4Array, .int2Array].contains(cell.type) else {
            throw cell.error(decoding: [Element].self)
        }
        let elements: [String?]
        do { elements = try PostgresArrayLiteral.decode(cell.text) } catch {
            throw cell.error(decoding: [Element].self, reason: "\(error)")
        }
        return try elements.enumerated().map { index, text in
            guard let text else { throw cell.error(decoding: [Element].self, reason: "element \(index + 1) is NULL") }
            guard let element = Element(postgresArrayText: text) else {
                throw cell.error(decoding: [Element].self, reason: "element \(index + 1) is not a \(Element.self)")
            }
            return element
        }
    }
}
