import Crypto
import Foundation
import Secrets

/// What a console user may do.
enum ConsoleRole: String, Sendable {
    /// Reads every page.
    case reader
    /// Reads and acts (pause, resume, retry); each action is audited.
    case admin
}

/// Someone the console let in: their role and the name they gave (basic auth's user name, for
/// the audit; a bearer token has none).
struct ConsoleUser: Sendable {
    let role: ConsoleRole
    let name: String
}

/// Authentication (HTTP basic auth with the token as password, or a bearer token) and the
/// forms' CSRF tokens. Browsers send basic credentials with every request to the site,
/// cross-site form posts included, so every action also needs a token only the console's own
/// pages carry: an HMAC, keyed by the admin token, of the time the page was made.
struct ConsoleAccess: Sendable {
    private let adminToken: [UInt8]?
    private let readerToken: [UInt8]?
    private let formKey: SymmetricKey
    /// How long a page's forms stay usable.
    static let formLifetime: TimeInterval = 12 * 3600

    init(_ configuration: ConsoleConfiguration) {
        adminToken = configuration.adminToken.map { Array($0.utf8) }
        readerToken = configuration.readerToken.map { Array($0.utf8) }
        // A key of its own, derived from the admin token: every replica agrees on it, rotating
        // the token invalidates the pages open with the old one, and the token itself never
        // appears in a page.
        formKey = SymmetricKey(data: SHA256.hash(data: Data("switchboard console forms\0".utf8) + Data((configuration.adminToken ?? "").utf8)))
    }

    /// The user an `Authorization` header value names, or nil.
    func user(authorization: String?) -> ConsoleUser? {
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let (name, token): (String, [UInt8])
        switch parts[0].lowercased() {
        case "basic":
            guard let decoded = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
                  let separator = decoded.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            name = String(decoding: decoded[..<separator], as: UTF8.self)
            token = Array(decoded[decoded.index(after: separator)...])
        case "bearer":
            (name, token) = ("", Array(parts[1].trimmingCharacters(in: .whitespaces).utf8))
        default:
            return nil
        }
        // Both compared every time, so the answer's timing says nothing about either.
        let isAdmin = adminToken.map { constantTimeEqual($0, token) } ?? false
        let isReader = readerToken.map { constantTimeEqual($0, token) } ?? false
        if isAdmin { return ConsoleUser(role: .admin, name: String(name.prefix(100))) }
        if isReader { return ConsoleUser(role: .reader, name: String(name.prefix(100))) }
        return nil
    }

    /// The token a page's forms carry: `<unix time>.<hex HMAC>`.
    func formToken(now: Date = Date()) -> String {
        let issued = String(Int(now.timeIntervalSince1970))
        return issued + "." + mac(issued)
    }

    /// Whether `token` was made by ``formToken(now:)`` with this admin token, within the lifetime.
    func acceptsFormToken(_ token: String?, now: Date = Date()) -> Bool {
        guard let token, let dot = token.firstIndex(of: "."), let issued = TimeInterval(token[..<dot]) else { return false }
        let age = now.timeIntervalSince1970 - issued
        guard age >= -60, age <= Self.formLifetime else { return false }
        return constantTimeEqual(Array(token[token.index(after: dot)...].utf8), Array(mac(String(token[..<dot])).utf8))
    }

    private func mac(_ issued: String) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(issued.utf8), using: formKey).map { String(format: "%02x", $0) }.joined()
    }
}
