public import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real HTTP provider on loopback (http_peer.py): Switchboard's signed webhook and Twilio's
/// Messages API, with one effect per idempotency key on the webhook.
public final class HTTPPeer: @unchecked Sendable {
    public static let secret = "webhook-secret"
    public static let twilioAccount = "AC00000000000000000000000000000000"
    public static let twilioToken = "twilio-token"

    public let directory: URL
    public private(set) var port: Int
    private var process: PeerProcess

    public static func start() async throws -> HTTPPeer {
        let directory = FileManager.default.temporaryDirectory.appending(path: "http-peer-\(UUID().uuidString)")
        return HTTPPeer(process: try await PeerProcess.start(script: "http_peer.py", arguments: arguments, directory: directory,
                                                             what: "the HTTP peer"))
    }

    private static let arguments = ["--secret", secret, "--account", twilioAccount, "--token", twilioToken]

    private init(process: PeerProcess) {
        self.process = process
        self.port = process.port
        self.directory = process.directory
    }

    /// The provider goes down (the server is killed: connections are refused).
    public func goDown() {
        process.kill()
    }

    /// The provider comes back on the same port, remembering the effects it had.
    public func comeBack() async throws {
        process = try await PeerProcess.start(script: "http_peer.py", arguments: Self.arguments + ["--port", String(port)],
                                              directory: directory, what: "the HTTP peer")
    }

    public func stop() {
        process.kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Makes the next `count` message requests fail with `status` (-1: until told otherwise), with
    /// `Retry-After: retryAfter` when given.
    public func fail(status: Int, count: Int, retryAfter: String? = nil) async throws {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/control")!)
        request.httpMethod = "POST"
        var control: [String: Any] = ["status": status, "count": count]
        if let retryAfter { control["retry_after"] = retryAfter }
        request.httpBody = try JSONSerialization.data(withJSONObject: control)
        _ = try await URLSession.shared.data(for: request)
    }

    /// Every request so far: its path and Idempotency-Key.
    public func requests() throws -> [(path: String, key: String?)] {
        try lines("requests.jsonl").map { ($0["path"] as? String ?? "", $0["key"] as? String) }
    }

    /// Every effect so far (a message the provider would deliver): its idempotency key, the
    /// webhook's JSON message or Twilio's form, and the id the provider gave it.
    public func effects() throws -> [(key: String?, fields: [String: Any], messageID: String)] {
        try lines("effects.jsonl").map { record in
            (record["key"] as? String, (record["message"] ?? record["form"]) as? [String: Any] ?? [:], record["message_id"] as? String ?? "")
        }
    }

    /// Requests refused for a bad signature.
    public func rejected() throws -> Int { try lines("rejected.jsonl").count }

    private func lines(_ name: String) throws -> [[String: Any]] {
        guard let text = try? String(contentsOf: directory.appending(path: name), encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
    }
}
