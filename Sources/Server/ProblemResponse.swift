import Foundation
import Hummingbird

/// The JSON answers of the API: `{"error": "…", "field": "…"}` for a refusal, the row for a success.
enum APIResponse {
    static func problem(_ status: HTTPResponse.Status, _ message: String, field: String? = nil,
                        retryAfter: Duration? = nil) -> Response {
        var object: [String: Any] = ["error": message]
        if let field { object["field"] = field }
        var headers: HTTPFields = [:]
        if let retryAfter {
            headers[.retryAfter] = String(max(1, Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up))))
        }
        return json(status, object, headers: headers)
    }

    static func json(_ status: HTTPResponse.Status, _ object: [String: Any], headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
