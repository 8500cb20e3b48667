public import Foundation

/// Who may open the operator console, and where it is mounted. The tokens come from the
/// environment (`SWITCHBOARD_CONSOLE_ADMIN_TOKEN`, `SWITCHBOARD_CONSOLE_READER_TOKEN`); with
/// neither set the console is off and its paths answer 404.
public struct ConsoleConfiguration: Sendable {
    /// Where the console is mounted, e.g. `/console` or `/ops/switchboard` behind a proxy.
    public var pathPrefix: String
    /// Sees everything and may act: pause, resume, retry. Every action is audited.
    public var adminToken: String?
    /// Sees everything, changes nothing.
    public var readerToken: String?

    public static let adminTokenVariable = "SWITCHBOARD_CONSOLE_ADMIN_TOKEN"
    public static let readerTokenVariable = "SWITCHBOARD_CONSOLE_READER_TOKEN"
    /// Shorter tokens are refused: they could be guessed.
    public static let minimumTokenLength = 16

    public var isEnabled: Bool { adminToken != nil || readerToken != nil }

    /// Checks the prefix and the tokens; throws a message that says what to change.
    public init(pathPrefix: String = "/console", adminToken: String? = nil, readerToken: String? = nil) throws(ConsoleConfigurationError) {
        let prefix = pathPrefix.hasSuffix("/") && pathPrefix.count > 1 ? String(pathPrefix.dropLast()) : pathPrefix
        guard prefix.hasPrefix("/"), prefix.count > 1,
              prefix.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "/-_.".contains($0)) }),
              !prefix.contains("//") else {
            throw ConsoleConfigurationError("the console path must start with / and use only letters, digits, /, -, _ and . (got \"\(pathPrefix)\")")
        }
        for (name, token) in [(Self.adminTokenVariable, adminToken), (Self.readerTokenVariable, readerToken)] {
            if let token, token.count < Self.minimumTokenLength {
                throw ConsoleConfigurationError("\(name) must be at least \(Self.minimumTokenLength) characters (e.g. openssl rand -hex 24)")
            }
        }
        if let adminToken, adminToken == readerToken {
            throw ConsoleConfigurationError("\(Self.adminTokenVariable) and \(Self.readerTokenVariable) must differ")
        }
        self.pathPrefix = prefix
        self.adminToken = adminToken
        self.readerToken = readerToken
    }

    /// The tokens from `environment`; an empty variable counts as unset.
    public static func fromEnvironment(pathPrefix: String = "/console",
                                       _ environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConsoleConfigurationError) -> ConsoleConfiguration {
        func value(_ name: String) -> String? {
            guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        return try ConsoleConfiguration(pathPrefix: pathPrefix, adminToken: value(adminTokenVariable), readerToken: value(readerTokenVariable))
    }
}

/// A console setting that cannot be used, with what to change.
public struct ConsoleConfigurationError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
