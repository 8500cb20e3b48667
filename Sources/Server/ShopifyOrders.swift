import Foundation

/// Shopify's order and fulfillment webhooks as Switchboard order events: the topic says what
/// happened, the order's `name` (`#1001`, as the customer sees it) is the order number, and the
/// customer, total, items and tracking are carried over in the shape of docs/integrations.md.
enum ShopifyOrders {
    /// The topics mapped; any other is acknowledged and left alone.
    static let topics: Set<String> = ["orders/create", "orders/paid", "orders/cancelled", "fulfillments/create", "fulfillments/update"]

    /// Why a webhook body cannot become an event, naming the field.
    struct Problem: Error {
        let field: String
        let message: String
    }

    /// The event for a webhook of `topic`, or nil for a topic not mapped.
    static func event(topic: String, body: [String: Any]) throws(Problem) -> (kind: String, number: String, payload: [String: Any], occurredAt: String?)? {
        switch topic {
        case "orders/create", "orders/paid", "orders/cancelled":
            let number = try orderNumber(body)
            var payload: [String: Any] = [:]
            if let customer = customer(body) { payload["customer"] = customer }
            if let total = decimal(body["total_price"]) { payload["total"] = total }
            if let currency = body["currency"] as? String { payload["currency"] = currency }
            if let lines = body["line_items"] as? [[String: Any]] {
                payload["items"] = lines.compactMap { line -> [String: Any]? in
                    guard let quantity = (line["quantity"] as? NSNumber)?.intValue, quantity > 0 else { return nil }
                    var item: [String: Any] = ["quantity": quantity]
                    if let sku = line["sku"] as? String, !sku.isEmpty { item["sku"] = sku }
                    if let name = (line["name"] as? String) ?? (line["title"] as? String) { item["name"] = name }
                    if let price = decimal(line["price"]) { item["unit_price"] = price }
                    return item
                }
            }
            switch topic {
            case "orders/create": return ("created", number, payload, body["created_at"] as? String)
            case "orders/paid": return ("paid", number, payload, (body["processed_at"] as? String) ?? (body["updated_at"] as? String))
            default: return ("cancelled", number, payload, (body["cancelled_at"] as? String) ?? (body["updated_at"] as? String))
            }
        case "fulfillments/create", "fulfillments/update":
            guard let name = body["name"] as? String, !name.isEmpty else {
                throw Problem(field: "name", message: "a fulfillment names its order in name (#1001.1)")
            }
            // "#1001.1": the order's name and the fulfillment's position in it.
            var number = name.hasPrefix("#") ? String(name.dropFirst()) : name
            if let dot = number.lastIndex(of: "."), number[number.index(after: dot)...].allSatisfy(\.isNumber) { number = String(number[..<dot]) }
            var payload: [String: Any] = [:]
            if let carrier = body["tracking_company"] as? String, !carrier.isEmpty { payload["carrier"] = carrier }
            if let tracking = (body["tracking_number"] as? String) ?? (body["tracking_numbers"] as? [String])?.first { payload["tracking_number"] = tracking }
            if let url = (body["tracking_url"] as? String) ?? (body["tracking_urls"] as? [String])?.first { payload["tracking_url"] = url }
            if let email = body["email"] as? String, !email.isEmpty { payload["customer"] = ["email": email] }
            let kind = topic == "fulfillments/create" ? "shipped" : shipmentKind(body["shipment_status"] as? String)
            return (kind, number, payload, (body["updated_at"] as? String) ?? (body["created_at"] as? String))
        default:
            return nil
        }
    }

    /// A fulfillment's `shipment_status` as an order event kind; news without a movement is `updated`.
    static func shipmentKind(_ status: String?) -> String {
        switch status {
        case "in_transit", "confirmed", "label_printed", "label_purchased": "shipped"
        case "out_for_delivery": "out_for_delivery"
        case "delivered": "delivered"
        case "attempted_delivery", "delayed", "failure": "delayed"
        default: "updated"
        }
    }

    private static func orderNumber(_ body: [String: Any]) throws(Problem) -> String {
        if let name = body["name"] as? String, !name.isEmpty { return name.hasPrefix("#") ? String(name.dropFirst()) : name }
        if let number = body["order_number"] as? NSNumber { return number.stringValue }
        throw Problem(field: "name", message: "an order names itself in name (#1001) or order_number")
    }

    private static func customer(_ body: [String: Any]) -> [String: Any]? {
        let customer = body["customer"] as? [String: Any] ?? [:]
        var result: [String: Any] = [:]
        if let email = (body["email"] as? String) ?? (customer["email"] as? String), !email.isEmpty { result["email"] = email }
        if let phone = (body["phone"] as? String) ?? (customer["phone"] as? String), !phone.isEmpty { result["phone"] = phone }
        let name = [customer["first_name"] as? String, customer["last_name"] as? String].compactMap { $0 }.joined(separator: " ")
        if !name.isEmpty { result["name"] = name }
        return result.isEmpty ? nil : result
    }

    /// Shopify's prices are strings ("199.00").
    private static func decimal(_ value: Any?) -> Double? {
        if let text = value as? String { return Double(text) }
        return (value as? NSNumber)?.doubleValue
    }
}
