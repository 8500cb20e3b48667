public import Foundation

/// A real SMTP server on loopback (smtp_peer.py, on aiosmtpd) that keeps every message it
/// accepts, refuses `refuse@…` for good and `tempfail@…` once.
public final class SMTPPeer: @unchecked Sendable {
    public var port: Int { process.port }
    public var directory: URL { process.directory }
    private let process: PeerProcess

    public static func start() async throws -> SMTPPeer {
        let directory = FileManager.default.temporaryDirectory.appending(path: "smtp-peer-\(UUID().uuidString)")
        return SMTPPeer(process: try await PeerProcess.start(
            script: "smtp_peer.py", directory: directory, what: "the SMTP peer (is python3-aiosmtpd installed?)"))
    }

    private init(process: PeerProcess) {
        self.process = process
    }

    public func stop() {
        process.kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Every message received so far, oldest first: its raw bytes and envelope recipients.
    public func received() throws -> [(raw: Data, recipients: [String])] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".eml") }.sorted()
        return try files.map { file in
            let raw = try Data(contentsOf: directory.appending(path: file))
            let envelope = try Data(contentsOf: directory.appending(path: file.replacingOccurrences(of: ".eml", with: ".json")))
            let recipients = (try JSONSerialization.jsonObject(with: envelope) as? [String: Any])?["rcpt_tos"] as? [String] ?? []
            return (raw, recipients)
        }
    }

    /// SMTP sessions clients have opened (EHLOs) so far.
    public func sessions() -> Int {
        (try? String(contentsOf: directory.appending(path: "sessions"), encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// The one header `name` of `raw`, unfolded, as it stands on the wire (not decoded).
    public static func header(_ name: String, of raw: Data) -> String? {
        let text = String(decoding: raw, as: UTF8.self)
        let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
        let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
        for line in unfolded.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == name.lowercased() {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}

public struct SMTPPeerError: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
