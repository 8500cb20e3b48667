import Foundation

/// An element type of the one-dimensional arrays this module encodes and decodes.
public protocol PostgresArrayElement: Sendable {
    static var postgresArrayType: PostgresDataType { get }
    var postgresArrayText: String { get }
    init?(postgresArrayText: String)
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .textArray }
    public var postgresArrayText: String { self }
    public init?(postgresArrayText: String) { self = postgresArrayText }
}

extension Int64: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int8Array }
    public var postgresArrayText: String { String(self) }
    public init?(postgresArrayText: String) { self.init(postgresArrayText) }
}

extension Int: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int8Array }
    public var postgresArrayText: String { String(self) }
    public init?(postgresArrayText: String) { self.init(postgresArrayText) }
}

/// PostgreSQL's array literal syntax: `{a,"b c",NULL}`.
enum PostgresArrayLiteral {
    static func encode(_ elements: [String]) -> String {
        // Byte by byte: `"` and `\` are ASCII, so no UTF-8 sequence hides them, and walking
        // Characters (grapheme clusters) cost more than the rest of a batch's encoding.
        var out: [UInt8] = []
        out.reserveCapacity(elements.reduce(2) { $0 + $1.utf8.count + 3 })
        out.append(UInt8(ascii: "{"))
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    enum ParseError: Error { case malformed(String) }

    /// Parses a one-dimensional array literal; `nil` elements are SQL NULLs.
    static func decode(_ text: String) throws -> [String?] {
        var scalars = Substring(text).unicodeScalars[...]
        // An explicit lower bound decoration such as `[0:2]={…}` precedes the braces.
        if scalars.first == "[", let equals = scalars.firstIndex(of: "=") {
            scalars = scalars[scalars.index(after: equals)...]
        }
        guard scalars.first == "{", scalars.last == "}" else { throw ParseError.malformed("an array literal starts with { and ends with }") }
        scalars = scalars.dropFirst().dropLast()
        var elements: [String?] = []
        if scalars.isEmpty { return elements }
        var iterator = scalars.makeIterator()
        var current = String.UnicodeScalarView()
        var quoted = false
        var wasQuoted = false
        var escaped = false
        func finish() throws {
            let value = String(current)
            if !wasQuoted && value.uppercased() == "NULL" {
                elements.append(nil)
            } else {
                elements.append(wasQuoted ? value : value.trimmingCharacters(in: .whitespaces))
            }
            current = String.UnicodeScalarView()
            wasQuoted = false
        }
        while let scalar = iterator.next() {
            if escaped {
                current.append(scalar)
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "\"" {
                quoted.toggle()
                wasQuoted = true
            } else if scalar == "," && !quoted {
                try finish()
            } else if scalar == "{" && !quoted {
                throw ParseError.malformed("multi-dimensional arrays are not supported")
            } else {
                current.append(scalar)
            }
        }
        if quoted || escaped { throw ParseError.malformed("unterminated quote in array literal") }
        try finish()
        return elements
    }
}
