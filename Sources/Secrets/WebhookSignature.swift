import Crypto
public import Foundation

/// The signature on Switchboard's webhook requests: HMAC-SHA256, keyed by the provider's
/// secret, over `"<timestamp>.<body>"`, sent as `Switchboard-Timestamp: <unix seconds>` and
/// `Switchboard-Signature: v1=<hex>`. Signing the timestamp with the body lets a receiver
/// refuse a replayed request outside its window.
public enum WebhookSignature {
    public static let timestampHeader = "Switchboard-Timestamp"
    public static let signatureHeader = "Switchboard-Signature"

    /// `v1=` and the hex HMAC of `body` sent at `timestamp` (unix seconds).
    public static func sign(body: some DataProtocol, timestamp: Int64, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` signs `body` at `timestamp` with one of `secrets` (two during a
    /// rotation), and `timestamp` lies within `tolerance` of `now`. Compared in constant time.
    public static func isValid(signature: String, body: some DataProtocol, timestamp: Int64, secrets: [String],
                               now: Date = Date(), tolerance: TimeInterval = 300) -> Bool {
        guard abs(now.timeIntervalSince1970 - TimeInterval(timestamp)) <= tolerance else { return false }
        let given = Array(signature.utf8)
        var valid = false
        for secret in secrets {
            let expected = Array(sign(body: body, timestamp: timestamp, secret: secret).utf8)
            valid = constantTimeEqual(given, expected) || valid
        }
        return valid
    }
}
