public import Foundation

/// Why a provider did not take a message, and what the worker does about it.
public struct DeliveryError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// It may pass later: a timeout, a refused or dropped connection, SMTP 4xx, HTTP
        /// 408/425/429/5xx. `retryAfter`: when the provider asked to be called again, if it did.
        case transient(retryAfter: Date?)
        /// Refused for good (SMTP 5xx, HTTP 4xx): the row fails in the provider's words. When
        /// `addressRejected`, the address itself cannot be reached, and is suppressed.
        case permanent(addressRejected: Bool)
        /// The provider cannot be used as configured (a missing secret, refused credentials, a
        /// wrong endpoint): an operator's to fix, so the row is retried, not failed.
        case misconfigured
    }

    public let kind: Kind
    /// The provider's words, or what went wrong on the way to it.
    public let description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

extension DeliveryError {
    init(_ error: SMTPError) {
        self.init(error.isPermanent ? .permanent(addressRejected: error.isAddressRejected) : .transient(retryAfter: nil),
                  error.description)
    }
}
