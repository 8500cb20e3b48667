public import Foundation
import Secrets

/// A `notify_providers` row, as the worker needs it to send.
public struct NotifyProvider: Sendable, Hashable {
    public var id: Int64
    public var kind: String
    public var endpoint: String
    public var username: String?
    /// Where the password is: `env:NAME` or `file:/path`.
    public var secretReference: String?
    /// The row's `settings` object: connect_timeout_ms, timeout_ms, helo, verify_certificates, connections…
    public var settings: [String: JSONValue]

    /// Sends to it at once from one worker process at most (`settings.connections`, default 8):
    /// SMTP connections kept open, or HTTP requests in flight.
    public var maximumConnections: Int {
        if case .number(let connections) = settings["connections"] { return max(1, Int(connections)) }
        return 8
    }

    public init(id: Int64, kind: String, endpoint: String, username: String?, secretReference: String?, settings: [String: JSONValue]) {
        self.id = id
        self.kind = kind
        self.endpoint = endpoint
        self.username = username
        self.secretReference = secretReference
        self.settings = settings
    }

    /// The SMTP server of an `smtp` provider, its password read from where `secret_ref` says.
    /// Throws ``DeliveryError`` (misconfigured) when the row or its secret cannot be used.
    public func smtpServer(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SMTPServer {
        guard kind == "smtp" else { throw DeliveryError(.misconfigured, "provider \(id) is a \(kind) provider, not smtp") }
        guard let schemeEnd = endpoint.range(of: "://") else {
            throw DeliveryError(.misconfigured, "provider \(id): endpoint \(endpoint) is not scheme://host:port")
        }
        let scheme = endpoint[..<schemeEnd.lowerBound]
        let security: SMTPServer.Security, defaultPort: Int
        switch scheme {
        case "smtp": (security, defaultPort) = (.startTLS, 587)
        case "smtps": (security, defaultPort) = (.implicitTLS, 465)
        case "smtp+plain": (security, defaultPort) = (.none, 25)
        default: throw DeliveryError(.misconfigured, "provider \(id): unknown scheme \(scheme) (smtp, smtps or smtp+plain)")
        }
        let authority = endpoint[schemeEnd.upperBound...]
        let parts = authority.split(separator: ":", maxSplits: 1)
        guard let host = parts.first, !host.isEmpty else { throw DeliveryError(.misconfigured, "provider \(id): endpoint \(endpoint) names no host") }
        let port = parts.count == 2 ? Int(parts[1]) : defaultPort
        guard let port, (1...65535).contains(port) else { throw DeliveryError(.misconfigured, "provider \(id): bad port in \(endpoint)") }
        var server = SMTPServer(host: String(host), port: port, security: security, username: username,
                                password: try secret(environment: environment))
        if case .number(let milliseconds) = settings["connect_timeout_ms"] { server.connectTimeout = .milliseconds(Int64(milliseconds)) }
        if case .number(let milliseconds) = settings["timeout_ms"] { server.timeout = .milliseconds(Int64(milliseconds)) }
        if case .string(let helo) = settings["helo"] { server.heloName = helo }
        if case .bool(let verify) = settings["verify_certificates"] { server.verifiesCertificates = verify }
        server.maximumConnections = maximumConnections
        return server
    }

    /// Where and how an HTTP provider (`webhook`, `twilio`) is called.
    public struct HTTPEndpoint: Sendable {
        public var url: String
        public var host: String
        public var username: String?
        /// The webhook's signing secret, or Twilio's auth token.
        public var secret: String
        /// The whole request, connecting included.
        public var timeout: Duration
        /// Twilio: the sending number, or the messaging service that picks one.
        public var from: String?
        public var messagingServiceSID: String?
        /// Twilio: where it posts delivery receipts.
        public var statusCallback: String?
    }

    /// The endpoint of an HTTP provider, its secret read from where `secret_ref` says. Throws
    /// ``DeliveryError`` (misconfigured) when the row or its secret cannot be used.
    public func httpEndpoint(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HTTPEndpoint {
        guard kind == "webhook" || kind == "twilio" else {
            throw DeliveryError(.misconfigured, "provider \(id) is a \(kind) provider, not an HTTP one")
        }
        guard let url = URL(string: endpoint), let host = url.host, ["http", "https"].contains(url.scheme) else {
            throw DeliveryError(.misconfigured, "provider \(id): endpoint \(endpoint) is not an http(s) URL")
        }
        guard let secret = try self.secret(environment: environment) else { throw DeliveryError(.misconfigured, "provider \(id) has no secret_ref") }
        func text(_ key: String) -> String? { if case .string(let value) = settings[key] { value } else { nil } }
        var timeout = Duration.seconds(30)
        if case .number(let milliseconds) = settings["timeout_ms"] { timeout = .milliseconds(Int64(milliseconds)) }
        return HTTPEndpoint(url: endpoint, host: host, username: username, secret: secret, timeout: timeout, from: text("from"),
                            messagingServiceSID: text("messaging_service_sid"), statusCallback: text("status_callback"))
    }

    /// The password `secret_ref` points at, or nil when the provider has none.
    func secret(environment: [String: String]) throws -> String? {
        guard let text = secretReference else { return nil }
        guard let reference = SecretReference(text) else {
            throw DeliveryError(.misconfigured, "provider \(id): secret_ref must be env:NAME or file:/path")
        }
        do {
            return try reference.read(environment: environment)
        } catch {
            throw DeliveryError(.misconfigured, "provider \(id): \(error.description) (its secret_ref)")
        }
    }
}

/// A JSON value of a provider's settings.
public enum JSONValue: Sendable, Hashable, Decodable {
    case string(String), number(Double), bool(Bool), null
    case other

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let string = try? container.decode(String.self) { self = .string(string) }
        else { self = .other }
    }
}

/// What went wrong in the notification worker, with a code a caller can switch on.
public struct NotifyError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The database answered something the worker did not expect.
        case unexpectedResult
        /// A row's template is missing or does not render.
        case template
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
