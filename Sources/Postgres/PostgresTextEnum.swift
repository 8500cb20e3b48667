/// A Swift enum stored as one of a fixed set of text values (a column with a CHECK … IN (…)):
/// bound as text, decoded with an error that names the column and the unknown value, and
/// printed as its stored text (`round_robin`, not `roundRobin`).
///
/// ```swift
/// enum Channel: String, PostgresTextEnum { case email, sms, chat }
/// ```
public protocol PostgresTextEnum: RawRepresentable, CaseIterable, CustomStringConvertible, PostgresEncodable, PostgresDecodable,
    PostgresArrayElement where RawValue == String {}

extension PostgresTextEnum {
    public var description: String { rawValue }

    public static var postgresDataType: PostgresDataType { .unspecified }
    public var postgresValue: PostgresBind.Value? { .text(rawValue) }

    public static func decode(from cell: PostgresCell) throws -> Self {
        guard let value = Self(rawValue: cell.text) else {
            throw cell.error(decoding: Self.self, reason: "not one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    public static var postgresArrayType: PostgresDataType { .textArray }
    public var postgresArrayText: String { rawValue }
    public init?(postgresArrayText: String) { self.init(rawValue: postgresArrayText) }
}
