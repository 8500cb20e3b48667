import AsyncHTTPClient
import Foundation
import Ingest
import NIOCore
import Postgres
import Secrets
import Testing
import TestSupport

@Suite("The platforms' own webhooks: Shopify orders, Twilio messages, delivery receipts")
struct PlatformWebhookTests {
    @Test("Twilio's signature matches the example in Twilio's security documentation")
    func twilioVector() {
        let parameters = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+12349013030"), ("Digits", "1234"),
                          ("From", "+12349013030"), ("To", "+18005551212")]
        #expect(TwilioSignature.sign(url: "https://mycompany.com/myapp.php?foo=1&bar=2", parameters: parameters, authToken: "12345")
                == "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        #expect(TwilioSignature.isValid(signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", url: "https://mycompany.com/myapp.php?foo=1&bar=2",
                                        parameters: parameters.reversed(), tokens: ["old", "12345"]))
    }

    @Test("Shopify order and fulfillment webhooks become order events, once per webhook id, and apply to the order")
    func shopify() async throws {
        try await ServerFixture.with("shopify") { f in
            try await f.connection.execute("""
                INSERT INTO intake_integrations (name, format, secret_refs) VALUES ('my-shop', 'shopify', ARRAY[\("file:" + f.secretFile.path)])
                """)
            // As Shopify documents orders/create (fields Switchboard does not read left out).
            let order: [String: Any] = [
                "id": 820982911946154508, "name": "#1001", "order_number": 1001, "email": "jon@example.com", "phone": NSNull(),
                "created_at": "2026-12-01T10:00:00-05:00", "currency": "USD", "total_price": "598.94", "financial_status": "pending",
                "customer": ["id": 115310627314723954, "email": "jon@example.com", "first_name": "Jon", "last_name": "Snow", "phone": "+16135550142"],
                "line_items": [["id": 866550311766439020, "sku": "IPOD2008BLACK", "title": "IPod Nano - 8GB", "name": "IPod Nano - 8GB - black",
                                "quantity": 1, "price": "199.00"],
                               ["id": 141249953214522974, "sku": "", "title": "Shipping insurance", "quantity": 0, "price": "5.00"]],
            ]
            let created = try await shopifyPost(f, topic: "orders/create", webhookID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", json(order))
            #expect(created.status == 202, "\(created.json ?? [:])")
            let again = try await shopifyPost(f, topic: "orders/create", webhookID: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", json(order))
            #expect(again.status == 200 && again.id == created.id)
            let fulfillment: [String: Any] = [
                "id": 255858046, "order_id": 820982911946154508, "status": "success", "created_at": "2026-12-02T09:00:00-05:00",
                "updated_at": "2026-12-02T09:00:00-05:00", "tracking_company": "UPS", "shipment_status": NSNull(),
                "tracking_number": "1Z2345", "tracking_numbers": ["1Z2345"], "tracking_url": "https://www.ups.com/track?tracknum=1Z2345",
                "tracking_urls": ["https://www.ups.com/track?tracknum=1Z2345"], "name": "#1001.1", "line_items": [],
            ]
            #expect(try await shopifyPost(f, topic: "fulfillments/create", webhookID: "w-2", json(fulfillment)).status == 202)
            var delivered = fulfillment
            delivered["shipment_status"] = "delivered"
            delivered["updated_at"] = "2026-12-03T15:30:00-05:00"
            #expect(try await shopifyPost(f, topic: "fulfillments/update", webhookID: "w-3", json(delivered)).status == 202)
            let ignored = try await shopifyPost(f, topic: "products/update", webhookID: "w-4", json(["id": 1]))
            #expect(ignored.status == 200 && ignored.json?["status"] as? String == "ignored")
            let forged = try await shopifyPost(f, topic: "orders/create", webhookID: "w-5", json(order), secret: "not-the-secret")
            #expect(forged.status == 401 && forged.field == "X-Shopify-Hmac-Sha256")
            // The Switchboard-format integration cannot post Shopify webhooks.
            let wrongKind = try await shopifyPost(f, topic: "orders/create", webhookID: "w-6", json(order), integration: "shop")
            #expect(wrongKind.status == 401)
            let noName = try await shopifyPost(f, topic: "fulfillments/create", webhookID: "w-7", json(["id": 3]))
            #expect(noName.status == 400 && noName.field == "name")

            let rows = try await f.connection.query("SELECT id, order_number, kind, payload::text, external_id FROM order_events ORDER BY id")
            #expect(rows.count == 3)
            #expect(try rows.map { try $0.decode(String.self, at: 2) } == ["created", "shipped", "delivered"])
            #expect(try rows.allSatisfy { try $0.decode(String.self, at: 1) == "1001" })
            let payload = try JSONSerialization.jsonObject(with: Data(try rows[0].decode(String.self, at: 3).utf8)) as? [String: Any]
            #expect((payload?["customer"] as? [String: Any])?["name"] as? String == "Jon Snow")
            #expect(payload?["total"] as? Double == 598.94)
            #expect((payload?["items"] as? [Any])?.count == 1)
            // The ingest worker applies them as it applies any event: the order is delivered, tracked by UPS.
            let applier = OrderEventApplier()
            for row in rows { _ = try await f.connection.run { connection in try await applier.apply(try row.decode(Int64.self, at: 0), on: connection) } }
            let orderRow = try await f.connection.query("SELECT status, carrier, tracking_number FROM orders WHERE number = '1001'")
            #expect(try orderRow.first?.decode(String.self, at: 0) == "delivered")
            #expect(try orderRow.first?.decode(String?.self, at: 1) == "UPS")
            #expect(try orderRow.first?.decode(String?.self, at: 2) == "1Z2345")
        }
    }

    @Test("Twilio's inbound SMS and WhatsApp become messages, answered with empty TwiML; a forged or repeated one makes no row")
    func twilioInbound() async throws {
        try await ServerFixture.with("twilioin") { f in
            try await f.connection.execute("""
                INSERT INTO intake_integrations (name, format, secret_refs) VALUES ('sms', 'twilio', ARRAY[\("file:" + f.secretFile.path)])
                """)
            let url = f.base + "/v1/webhooks/twilio/sms"
            let sms = [("ToCountry", "UA"), ("SmsMessageSid", "SM3f1c"), ("NumMedia", "1"), ("SmsSid", "SM3f1c"), ("SmsStatus", "received"),
                       ("Body", "Де моє замовлення 1001?"), ("To", "+380441234567"), ("MessageSid", "SM3f1c"), ("AccountSid", "AC0123"),
                       ("From", "+380671234567"), ("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM1/Media/ME1"),
                       ("MediaContentType0", "image/jpeg"), ("ApiVersion", "2010-04-01")]
            let first = try await twilioPost(url, sms, token: "first-secret")
            #expect(first.status == 200 && first.text.contains("<Response></Response>"), "\(first.text)")
            #expect(try await twilioPost(url, sms, token: "first-secret").status == 200)
            let whatsapp = [("MessageSid", "SMwa1"), ("From", "whatsapp:+971501234567"), ("To", "whatsapp:+14155238886"),
                            ("Body", "مرحبا، أين طلبي؟"), ("ProfileName", "Layla"), ("NumMedia", "0"), ("AccountSid", "AC0123")]
            #expect(try await twilioPost(url, whatsapp, token: "first-secret").status == 200)
            let forged = try await twilioPost(url, sms.map { $0.0 == "Body" ? ($0.0, "changed") : $0 }, token: "first-secret", signWith: sms)
            #expect(forged.status == 401)
            #expect(try await twilioPost(url, [("From", "+380671234567"), ("Body", "x")], token: "first-secret").status == 400)

            let rows = try await f.connection.query("""
                SELECT channel, external_id, convert_from(payload, 'UTF8') FROM inbound_messages ORDER BY id
                """)
            #expect(rows.count == 2)
            #expect(try rows[0].decode(String.self, at: 0) == "sms" && rows[0].decode(String.self, at: 1) == "SM3f1c")
            let smsPayload = try JSONSerialization.jsonObject(with: Data(try rows[0].decode(String.self, at: 2).utf8)) as? [String: Any]
            #expect(smsPayload?["from"] as? String == "+380671234567" && smsPayload?["text"] as? String == "Де моє замовлення 1001?")
            #expect((smsPayload?["media"] as? [[String: Any]])?.first?["content_type"] as? String == "image/jpeg")
            let waPayload = try JSONSerialization.jsonObject(with: Data(try rows[1].decode(String.self, at: 2).utf8)) as? [String: Any]
            #expect(try rows[1].decode(String.self, at: 0) == "social")
            #expect(waPayload?["platform"] as? String == "whatsapp" && waPayload?["sender_id"] as? String == "+971501234567")

            // Behind a proxy Twilio signs the public URL: the integration names it.
            try await f.connection.execute("UPDATE intake_integrations SET signed_url = 'https://switchboard.shop.example/v1/webhooks/twilio/sms'")
            try await Task.sleep(for: .milliseconds(400))
            let proxied = [("MessageSid", "SMp1"), ("From", "+380671234567"), ("Body", "Через проксі")]
            #expect(try await twilioPost(url, proxied, token: "first-secret").status == 401)
            #expect(try await twilioPost(url, proxied, token: "first-secret", signedURL: "https://switchboard.shop.example/v1/webhooks/twilio/sms").status == 200)
        }
    }

    @Test("delivery receipts: Twilio's status callbacks and the webhook provider's signed JSON update the message; unknown ids and statuses are refused")
    func receipts() async throws {
        try await ServerFixture.with("receipts") { f in
            let twilio = try await f.connection.query("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, username, secret_ref, settings)
                VALUES ('Twilio', 'sms', 'twilio', 'https://api.twilio.com', 'AC0123', \("file:" + f.secretFile.path), '{"from": "+15017122661"}')
                RETURNING id
                """).scalar(Int64.self)
            let webhook = try await f.connection.query("""
                INSERT INTO notify_providers (name, channel, kind, endpoint, secret_ref)
                VALUES ('Gateway', 'social', 'webhook', 'https://gateway.example/send', \("file:" + f.secretFile.path)) RETURNING id
                """).scalar(Int64.self)
            let customer = try await f.connection.query("INSERT INTO customers (store_id, name) VALUES (1, 'Olena') RETURNING id").scalar(Int64.self)
            var outbox: [Int64] = []
            for (provider, channel, messageID) in [(twilio, "sms", "SMout1"), (webhook, "social", "gw-81723")] {
                outbox.append(try await f.connection.query("""
                    INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key, status,
                                        provider_id, provider_message_id)
                    VALUES (1, \(customer), 'order_update', 'order_updates', \(channel), 'uk', 'Привіт', \("r:" + messageID), 'sent',
                            \(provider), \(messageID)) RETURNING id
                    """).scalar(Int64.self))
            }
            let twilioURL = f.base + "/v1/receipts/\(twilio)"
            let sent = try await twilioPost(twilioURL, [("MessageSid", "SMout1"), ("MessageStatus", "sent"), ("AccountSid", "AC0123")], token: "first-secret")
            #expect(sent.status == 200 && sent.text.contains("ignored"))
            let delivered = try await twilioPost(twilioURL, [("MessageSid", "SMout1"), ("MessageStatus", "delivered"), ("AccountSid", "AC0123")], token: "first-secret")
            #expect(delivered.status == 200, "\(delivered.text)")
            let unknown = try await twilioPost(twilioURL, [("MessageSid", "SMnope"), ("MessageStatus", "delivered")], token: "first-secret")
            #expect(unknown.status == 404)
            #expect(try await twilioPost(twilioURL, [("MessageSid", "SMout1"), ("MessageStatus", "delivered")], token: "wrong").status == 401)

            let receiptURL = "/v1/receipts/\(webhook)"
            let read = try await f.post(receiptURL, body: json(["id": "gw-81723", "status": "read", "detail": "seen"]), integration: nil)
            #expect(read.status == 200 && read.json?["outbox_id"] as? Int == Int(outbox[1]), "\(read.json ?? [:])")
            let opened = try await f.post(receiptURL, body: json(["id": "gw-81723", "status": "opened"]), integration: nil)
            #expect(opened.status == 400 && opened.field == "status")
            #expect(try await f.post(receiptURL, body: json(["id": "gw-81723", "status": "read"]), integration: nil, secret: "wrong").status == 401)
            #expect(try await f.post("/v1/receipts/999999", body: json(["id": "x", "status": "read"]), integration: nil).status == 404)

            let statuses = try await f.connection.query("SELECT delivery_status FROM outbox ORDER BY id").map { try $0.decode(String?.self, at: 0) }
            #expect(statuses == ["delivered", "read"])
        }
    }

    // MARK: Helpers

    struct TextAnswer { let status: Int; let text: String }

    private func shopifyPost(_ f: ServerFixture, topic: String, webhookID: String, _ body: Data, secret: String = "first-secret",
                             integration: String = "my-shop") async throws -> ServerFixture.Answer {
        var request = HTTPClientRequest(url: f.base + "/v1/webhooks/shopify/\(integration)")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Shopify-Topic", value: topic)
        request.headers.add(name: "X-Shopify-Hmac-Sha256", value: ShopifySignature.sign(body: body, secret: secret))
        request.headers.add(name: "X-Shopify-Shop-Domain", value: "my-shop.myshopify.com")
        request.headers.add(name: "X-Shopify-Webhook-Id", value: webhookID)
        request.headers.add(name: "X-Shopify-API-Version", value: "2025-10")
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await ServerFixture.send(request)
    }

    /// Posts `fields` form-encoded as Twilio does, signed over `signedURL` (default: the URL posted to).
    private func twilioPost(_ url: String, _ fields: [(String, String)], token: String, signWith: [(String, String)]? = nil,
                            signedURL: String? = nil) async throws -> TextAnswer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&")
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")
        request.headers.add(name: "X-Twilio-Signature", value: TwilioSignature.sign(url: signedURL ?? url, parameters: signWith ?? fields, authToken: token))
        request.headers.add(name: "I-Twilio-Idempotency-Token", value: UUID().uuidString)
        request.body = .bytes(ByteBuffer(string: body))
        request.headers.replaceOrAdd(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return TextAnswer(status: Int(response.status.code), text: String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
