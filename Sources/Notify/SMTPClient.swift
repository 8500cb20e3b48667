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

/// Sends messages to one SMTP server with libcurl's multi interface: one thread of its own
/// drives every connection, so a send costs no thread of Swift's cooperative pool while the
/// server answers, and many connections cost one thread, woken once for whatever was answered.
/// At most `server.maximumConnections` are open, kept between messages (EHLO, STARTTLS and AUTH
/// once per connection, not per message); sends beyond them wait in the loop's queue and start
/// on the first connection free, without coming back to Swift in between. A send's timeouts
/// count from when it starts, not from when it was queued.
public final class SMTPClient: Sendable {
    public let server: SMTPServer
    // The loop is thread-safe (a lock guards its queue); the pointer itself never changes.
    private nonisolated(unsafe) let loop: OpaquePointer

    public init(server: SMTPServer) {
        guard let loop = sb_smtp_loop_new(server.maximumConnections) else {
            fatalError("libcurl could not start an SMTP loop (out of memory or threads)")
        }
        self.server = server
        self.loop = loop
    }

    deinit { sb_smtp_loop_free(loop) }

    /// Sends `message` (RFC 5322 bytes, CRLF line ends) from `sender` to `recipients` (bare
    /// addresses). Throws ``SMTPError`` when the server does not accept it.
    public func send(_ message: [UInt8], from sender: String, to recipients: [String]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let waiting = Unmanaged.passRetained(Waiting(continuation)).toOpaque()
            let arena = CStringArena()
            var options = sb_smtp_server(
                host: arena.c(server.host), port: Int32(server.port), tls: server.security.shim, username: arena.c(server.username),
                password: arena.c(server.password), helo_domain: arena.c(server.heloName),
                connect_timeout_ms: server.connectTimeout.milliseconds, timeout_ms: server.timeout.milliseconds,
                verify_peer: server.verifiesCertificates ? 1 : 0)
            let submitted = withExtendedLifetime(arena) {
                message.withUnsafeBufferPointer { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        sb_smtp_loop_submit(loop, &options, arena.c("<\(sender)>"), arena.c(recipients.map { "<\($0)>" }),
                                            Int32(recipients.count), chars.baseAddress, chars.count, { context, status, result in
                            let waiting = Unmanaged<Waiting>.fromOpaque(context!).takeRetainedValue()
                            guard status != 0, let result else { return waiting.continuation.resume() }
                            let words = withUnsafeBytes(of: result.pointee.message) { raw in
                                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                            }
                            let code = result.pointee.response_code
                            waiting.continuation.resume(throwing: SMTPError(replyCode: code > 0 ? Int(code) : nil, message: words))
                        }, waiting)
                    }
                }
            }
            if submitted != 0 {
                Unmanaged<Waiting>.fromOpaque(waiting).release()
                continuation.resume(throwing: SMTPError(replyCode: nil, message: "out of memory: the message could not be handed to libcurl"))
            }
        }
    }

    /// A send's continuation, kept alive (retained) while libcurl has the message.
    private final class Waiting {
        let continuation: CheckedContinuation<Void, any Error>
        init(_ continuation: CheckedContinuation<Void, any Error>) { self.continuation = continuation }
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
