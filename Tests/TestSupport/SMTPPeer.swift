public import Foundation

/// A real SMTP server on loopback (smtp_peer.py, on aiosmtpd) that keeps every message it
/// accepts, refuses `refuse@…` for good and `tempfail@…` once.
public final class SMTPPeer: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let process: Process

    public static func start() async throws -> SMTPPeer {
        let directory = FileManager.default.temporaryDirectory.appending(path: "smtp-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "smtp_peer.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, "--dir", directory.path]
        // Its output goes to a file: a child holding the test process's stderr would keep the
        // test run from ending.
        let log = directory.appending(path: "peer.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // It writes its port to a file once it listens.
        let portFile = directory.appending(path: "port")
        let deadline = ContinuousClock.now + .seconds(60)
        var port: Int?
        while port == nil {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) { port = Int(text) }
            if port == nil {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    kill(process.processIdentifier, SIGKILL)
                    let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw SMTPPeerError(description: "the SMTP peer did not start (is python3-aiosmtpd installed?): \(said)")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        guard let port else { throw SMTPPeerError(description: "the SMTP peer wrote no port") }
        return SMTPPeer(port: port, directory: directory, process: process)
    }

    private init(port: Int, directory: URL, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    public func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
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
