public import Foundation

/// Where a secret is read from: `env:NAME` (an environment variable) or `file:/path` (a file,
/// trailing newlines dropped, as Kubernetes and compose mount them). Admin tables store only the
/// reference, never the secret.
public struct SecretReference: Sendable, Hashable, CustomStringConvertible {
    public enum Source: Sendable, Hashable {
        case environment(String)
        case file(String)
    }

    public let source: Source

    /// Parses `env:NAME` or `file:/path`; nil for anything else.
    public init?(_ text: String) {
        if text.hasPrefix("env:"), text.count > 4 {
            source = .environment(String(text.dropFirst(4)))
        } else if text.hasPrefix("file:/") {
            source = .file(String(text.dropFirst(5)))
        } else {
            return nil
        }
    }

    public var description: String {
        switch source {
        case .environment(let name): "env:\(name)"
        case .file(let path): "file:\(path)"
        }
    }

    /// The secret, or an error that says which variable or file is missing (never the secret).
    public func read(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> String {
        switch source {
        case .environment(let name):
            guard let value = environment[name], !value.isEmpty else { throw SecretError("environment variable \(name) is not set") }
            return value
        case .file(let path):
            do {
                let value = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .newlines)
                guard !value.isEmpty else { throw SecretError("the secret file \(path) is empty") }
                return value
            } catch let error as SecretError {
                throw error
            } catch {
                throw SecretError("cannot read the secret file \(path): \(error.localizedDescription)")
            }
        }
    }
}

/// A secret that cannot be read; the message names where it was looked for.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
