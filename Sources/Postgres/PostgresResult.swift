public import Foundation
import CLibPQ

/// The complete result of one statement. Rows are decoded on demand from libpq's buffer, which is
/// freed (`PQclear`) when the last reference goes away. A result is read-only, so any thread may read it.
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    let handle: OpaquePointer
    public let startIndex = 0
    public let endIndex: Int
    /// The number of columns.
    public let columnCount: Int

    init(handle: OpaquePointer) {
        self.handle = handle
        self.endIndex = Int(PQntuples(handle))
        self.columnCount = Int(PQnfields(handle))
    }

    deinit { PQclear(handle) }

    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }

    /// Column names, in order.
    public var columns: [String] { (0..<columnCount).map { columnName($0) } }

    /// Rows inserted, updated, deleted, selected or copied, as the command tag reports them.
    public var rowsAffected: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// The command tag, e.g. `INSERT 0 3`.
    public var commandTag: String { String(cString: PQcmdStatus(handle)) }

    func columnName(_ column: Int) -> String { String(cString: PQfname(handle, Int32(column))) }

    func columnIndex(_ name: String) -> Int? {
        // One C string for the whole scan, not one per column compared.
        name.withCString { name in (0..<columnCount).first { column in strcmp(PQfname(handle, Int32(column)), name) == 0 } }
    }

    func columnType(_ column: Int) -> PostgresDataType { PostgresDataType(oid: PQftype(handle, Int32(column))) }

    /// The one value of a one-row, one-column result, e.g. `SELECT count(*) …`.
    public func scalar<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let row = first else {
            throw PostgresDecodingError(column: columnCount > 0 ? columnName(0) : "?", swiftType: "\(T.self)",
                                        postgresType: columnCount > 0 ? columnType(0).description : "none",
                                        value: nil, reason: "the result has no rows")
        }
        return try row.decode(T.self, at: 0)
    }
}

/// One row of a ``PostgresResult``.
public struct PostgresRow: Sendable {
    public let result: PostgresResult
    public let index: Int

    /// True when the field is SQL NULL.
    public func isNull(at column: Int) -> Bool { PQgetisnull(result.handle, Int32(index), Int32(column)) == 1 }

    /// Decodes a non-NULL field; NULL is an error naming the column.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at column: Int) throws -> T {
        guard let cell = try cell(at: column, as: T.self) else {
            throw PostgresDecodingError(column: result.columnName(column), swiftType: "\(T.self)",
                                        postgresType: result.columnType(column).description, value: nil)
        }
        return try T.decode(from: cell)
    }

    /// Decodes a field that may be NULL.
    public func decode<T: PostgresDecodable>(_ type: T?.Type, at column: Int) throws -> T? {
        try cell(at: column, as: T.self).map { try T.decode(from: $0) }
    }

    /// Decodes a non-NULL field by column name (exact, case-sensitive).
    public func decode<T: PostgresDecodable>(_ type: T.Type, _ column: String) throws -> T {
        try decode(type, at: columnIndex(column, for: T.self))
    }

    /// Decodes a field that may be NULL, by column name (exact, case-sensitive).
    public func decode<T: PostgresDecodable>(_ type: T?.Type, _ column: String) throws -> T? {
        try decode(type, at: columnIndex(column, for: T.self))
    }

    private func columnIndex<T>(_ name: String, for type: T.Type) throws -> Int {
        guard let column = result.columnIndex(name) else {
            throw PostgresDecodingError(column: name, swiftType: "\(T.self)", postgresType: "none", value: nil,
                                        reason: "the result has no such column (it has \(result.columns.joined(separator: ", ")))")
        }
        return column
    }

    private func cell<T>(at column: Int, as type: T.Type) throws -> PostgresCell? {
        guard column >= 0 && column < result.columnCount else {
            throw PostgresDecodingError(column: "#\(column)", swiftType: "\(T.self)", postgresType: "none", value: nil,
                                        reason: "the result has \(result.columnCount) columns")
        }
        if isNull(at: column) { return nil }
        let pointer = PQgetvalue(result.handle, Int32(index), Int32(column))!
        let length = Int(PQgetlength(result.handle, Int32(index), Int32(column)))
        return PostgresCell(bytes: UnsafeRawBufferPointer(start: pointer, count: length),
                            type: result.columnType(column), result: result, column: column)
    }
}

extension Data: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws -> Data {
        guard cell.type == .bytea, let base = cell.bytes.baseAddress else { throw cell.error(decoding: Data.self) }
        // libpq's field values are NUL-terminated, which PQunescapeBytea relies on.
        var length = 0
        guard let unescaped = PQunescapeBytea(base.assumingMemoryBound(to: UInt8.self), &length) else {
            throw cell.error(decoding: Data.self, reason: "malformed bytea text")
        }
        defer { PQfreemem(unescaped) }
        return Data(bytes: unescaped, count: length)
    }
}
