import CPhoneNumbers
import Foundation
import TextTrimming

/// The canonical forms under which a customer's contact details are stored and matched, so the
/// same person writing by email, SMS and WhatsApp resolves to one profile.
public enum ContactNormalisation {
    /// Why a value was refused.
    public struct Invalid: Error, CustomStringConvertible, Sendable, Equatable {
        public let description: String
    }

    /// E.164 ("+380671234567") from a number as people write it, via libphonenumber.
    /// `defaultRegion` (ISO 3166 alpha-2) reads numbers written without a country code.
    public static func phone(_ raw: String, defaultRegion: String? = nil) throws -> String {
        let trimmed = raw.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw Invalid(description: "the phone number is empty") }
        guard trimmed.utf8.count <= 64 else { throw Invalid(description: "the phone number is longer than 64 bytes") }
        guard trimmed.contains(where: \.isNumber) else { throw Invalid(description: "'\(trimmed)' does not read as a phone number") }
        var buffer = [CChar](repeating: 0, count: 32)
        let status = buffer.withUnsafeMutableBufferPointer { out in
            switchboard_phone_e164(trimmed, defaultRegion?.uppercased() ?? "ZZ", out.baseAddress, Int32(out.count))
        }
        switch status {
        case 0: return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case 2: throw Invalid(description: "'\(trimmed)' is not a valid phone number")
        default:
            throw Invalid(description: defaultRegion == nil && !trimmed.hasPrefix("+")
                ? "'\(trimmed)' has no country code and no default region was given"
                : "'\(trimmed)' does not read as a phone number")
        }
    }

    /// An email address as matched: trimmed, lower-cased (the local part too: every major
    /// provider treats it case-insensitively), one "@", a dotted domain, no spaces.
    public static func email(_ raw: String) throws -> String {
        let value = raw.trimmingWhitespace().lowercased()
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !value.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," }), value.utf8.count <= 254 else {
            throw Invalid(description: "'\(raw.prefix(80))' is not an email address")
        }
        return value
    }
}
