import Crypto
public import Foundation

/// Twilio's request signature (`X-Twilio-Signature`): base64 HMAC-SHA1, keyed by the account's
/// auth token, of the URL Twilio called followed by every POST parameter's name and value,
/// sorted by name, with nothing between them.
public enum TwilioSignature {
    public static func sign(url: String, parameters: [(String, String)], authToken: String) -> String {
        var message = url
        for (name, value) in parameters.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) {
            message += name + value
        }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(authToken.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Whether `signature` signs the request with one of `tokens`, compared in constant time.
    public static func isValid(signature: String, url: String, parameters: [(String, String)], tokens: [String]) -> Bool {
        var valid = false
        for token in tokens {
            valid = constantTimeEqual(Array(signature.utf8), Array(sign(url: url, parameters: parameters, authToken: token).utf8)) || valid
        }
        return valid
    }
}

/// Shopify's webhook signature (`X-Shopify-Hmac-Sha256`): base64 HMAC-SHA256, keyed by the
/// app's client secret, of the raw body.
public enum ShopifySignature {
    public static func sign(body: some DataProtocol, secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
    }

    /// Whether `signature` signs `body` with one of `secrets`, compared in constant time.
    public static func isValid(signature: String, body: some DataProtocol, secrets: [String]) -> Bool {
        var valid = false
        for secret in secrets {
            valid = constantTimeEqual(Array(signature.utf8), Array(sign(body: body, secret: secret).utf8)) || valid
        }
        return valid
    }
}

/// Equal bytes, in time that depends only on the length.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
