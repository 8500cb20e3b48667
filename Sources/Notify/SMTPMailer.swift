import CCurlShim
import Foundation

/// An SMTP server to send through: where, how securely, as whom.
public struct SMTPServer: Sendable, Hashable {
    public enum Security: Sendable, Hashable {
        /// STARTTLS, required: the message is never sent in clear.
        case startTLS
        /// TLS from the first byte (`smtps://`, port 465).
        case implicitTLS
        /// No TLS: loopback relays and tests only.
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The name this side gives in EHLO.
    public var heloName: String
    public var connectTimeout: Duration
    public var timeout: Duration
    /// Off only for tests against self-signed certificates.
    public var verifiesCertificates: Bool
    /// At most this many connections to it at once from one worker process; more sends wait.
    public var maximumConnections: Int

    public init(host: String, port: Int, security: Security, username: String? = nil, password: String? = nil,
                heloName: String = "localhost", connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(60),
                verifiesCertificates: Bool = true, maximumConnections: Int = 8) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.verifiesCertificates = verifiesCertificates
        self.maximumConnections = max(1, maximumConnections)
    }
}

/// Why an SMTP send failed, and whether trying again later can help.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    /// The server's last reply code (421, 451, 550…), or nil when it never answered.
    public let replyCode: Int?
    /// libcurl's and the server's words.
    public let message: String
    /// A 5xx reply: the server refuses this message for good (unknown mailbox, policy). Anything
    /// else — 4xx, timeouts, refused or dropped connections — may pass later.
    public var isPermanent: Bool { replyCode.map { (500..<600).contains($0) } ?? false }
    /// A permanent refusal of the address itself (enhanced status 5.1.x: no such mailbox, bad
    /// address), not of this message (5.7.x policy, 5.3.x size…).
    public var isAddressRejected: Bool {
        guard let replyCode, [550, 551, 553].contains(replyCode) else { return false }
        return message.contains(" 5.1.")
    }

    public var description: String {
        replyCode.map { "SMTP \($0): \(message)" } ?? message
    }
}

/// Sends messages over SMTP with libcurl, one at a time. Consecutive sends to the same server
/// reuse the connection (libcurl keeps it open), so EHLO, STARTTLS and AUTH happen once, not per
/// message. libcurl blocks, so every send runs on this mailer's own thread rather than on
/// Swift's cooperative pool.
public final class SMTPMailer: @unchecked Sendable {
    // Touched only on `queue`.
    private let handle: OpaquePointer
    private let queue: DispatchQueue

    public init() {
        guard let handle = sb_smtp_new() else { fatalError("libcurl could not create an easy handle (out of memory)") }
        self.handle = handle
        self.queue = DispatchQueue(label: "switchboard.smtp")
    }

    deinit { sb_smtp_free(handle) }

    /// Sends `message` (RFC 5322 bytes, CRLF line ends) from `sender` to `recipients` (bare
    /// addresses) through `server`. Throws ``SMTPError`` when the server does not accept it.
    public func send(_ message: [UInt8], from sender: String, to recipients: [String], through server: SMTPServer) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                do {
                    try Self.perform(self.handle, message, sender, recipients, server)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func perform(_ handle: OpaquePointer, _ message: [UInt8], _ sender: String, _ recipients: [String],
                                _ server: SMTPServer) throws {
        var result = sb_smtp_result()
        let arena = CStringArena()
        var options = sb_smtp_server(
            host: arena.c(server.host), port: Int32(server.port), tls: server.security.shim, username: arena.c(server.username),
            password: arena.c(server.password), helo_domain: arena.c(server.heloName),
            connect_timeout_ms: server.connectTimeout.milliseconds, timeout_ms: server.timeout.milliseconds,
            verify_peer: server.verifiesCertificates ? 1 : 0)
        let status = withExtendedLifetime(arena) {
            message.withUnsafeBufferPointer { bytes in
                bytes.baseAddress!.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                    sb_smtp_send(handle, &options, arena.c("<\(sender)>"), arena.c(recipients.map { "<\($0)>" }),
                                 Int32(recipients.count), chars, bytes.count, &result)
                }
            }
        }
        guard status != 0 else { return }
        let words = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        throw SMTPError(replyCode: result.response_code > 0 ? Int(result.response_code) : nil, message: words)
    }
}

private extension SMTPServer.Security {
    var shim: sb_smtp_tls {
        switch self {
        case .startTLS: SB_SMTP_TLS_STARTTLS
        case .implicitTLS: SB_SMTP_TLS_IMPLICIT
        case .none: SB_SMTP_TLS_NONE
        }
    }
}
