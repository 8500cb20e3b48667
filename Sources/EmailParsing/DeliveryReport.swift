import Foundation
/// An address a bounce or complaint says mail must not go to any more.
public struct DeliveryFailure: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        /// A permanent delivery failure (DSN `Action: failed`, `Status: 5.x.x`).
        case hardBounce = "hard_bounce"
        /// The recipient reported the mail as spam (an ARF feedback report).
        case complaint
    }

    public let kind: Kind
    public let address: String
    /// The DSN status (5.1.1) or the feedback type (abuse), and the server's words when given.
    public let detail: String

    public init(kind: Kind, address: String, detail: String) {
        self.kind = kind
        self.address = address
        self.detail = detail
    }
}

/// Reads the machine-readable part of a bounce (RFC 3464 `message/delivery-status`) or a
/// complaint (RFC 5965 `message/feedback-report`).
public enum DeliveryReport {
    /// The hard bounces or complaints `report` (the part's text) states. Soft bounces (4.x.x,
    /// delayed) are not failures: the address may work tomorrow.
    public static func failures(in report: String, contentType: String) -> [DeliveryFailure] {
        let blocks = fieldBlocks(report)
        if contentType == "message/feedback-report" {
            return blocks.flatMap { block -> [DeliveryFailure] in
                guard let type = block["feedback-type"]?.lowercased(), let recipient = block["original-rcpt-to"] else { return [] }
                return address(recipient).map { [DeliveryFailure(kind: .complaint, address: $0, detail: "feedback type \(type)")] } ?? []
            }
        }
        // The first block is about the message; each further one about a recipient.
        return blocks.dropFirst().compactMap { block in
            guard block["action"]?.lowercased() == "failed", let status = block["status"], status.hasPrefix("5"),
                  let recipient = block["final-recipient"] ?? block["original-recipient"], let address = address(recipient) else { return nil }
            // "smtp; 550 5.1.1 …": the server's words after the type.
            let words = block["diagnostic-code"].map { ($0.split(separator: ";", maxSplits: 1).last.map(String.init) ?? $0).trimmingCharacters(in: .whitespaces) }
            return DeliveryFailure(kind: .hardBounce, address: address, detail: "status \(status)" + (words.map { $0.isEmpty ? "" : ": \($0)" } ?? ""))
        }
    }

    /// "rfc822; Gone@Example.org" → "gone@example.org".
    static func address(_ field: String) -> String? {
        let value = (field.split(separator: ";", maxSplits: 1).last.map(String.init) ?? field)
            .trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "<>")).lowercased()
        return value.contains("@") && !value.contains(" ") ? value : nil
    }

    /// Blocks of `Name: value` fields separated by blank lines, names lower-cased, folded lines joined.
    static func fieldBlocks(_ text: String) -> [[String: String]] {
        var blocks: [[String: String]] = [], current: [String: String] = [:], last: String?
        for rawLine in text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                if !current.isEmpty { blocks.append(current) }
                current = [:]
                last = nil
            } else if line.first == " " || line.first == "\t", let name = last {
                current[name, default: ""] += " " + line.trimmingCharacters(in: .whitespaces)
            } else if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                current[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = name
            }
        }
        if !current.isEmpty { blocks.append(current) }
        return blocks
    }
}
