import AsyncHTTPClient
import Foundation
import Helpdesk
import Ingest
import JobQueue
import Migrations
import NIOCore
import Postgres
import Secrets
import Server
import Testing
import TestSupport

@Suite("HTTP intake: signed requests become rows, once each")
struct IntakeTests {
    @Test("202 with the row's id; a repeated delivery 200 with the same id; email bytes kept exactly; order events likewise by event id")
    func accepted() async throws {
        try await ServerFixture.with("intake") { f in
            let sms = json(["from": "+380671234567", "text": "Де моє замовлення 1001?"])
            let first = try await f.post("/v1/inbound/sms", body: sms, headers: [("Switchboard-External-Id", "SM1")])
            #expect(first.status == 202, "\(first.json ?? [:])")
            let id = try #require(first.id)
            let again = try await f.post("/v1/inbound/sms", body: sms, headers: [("Switchboard-External-Id", "SM1")])
            #expect(again.status == 200 && again.id == id && again.json?["status"] as? String == "already_received")
            // The same provider id on another channel is another message.
            let chat = try await f.post("/v1/inbound/chat", body: json(["session_id": "c1", "text": "Hello"]), headers: [("Switchboard-External-Id", "SM1")])
            #expect(chat.status == 202 && chat.id != id)
            // Without a provider id every delivery is a row of its own.
            let plain1 = try await f.post("/v1/inbound/chat", body: json(["session_id": "c1", "text": "again"]))
            let plain2 = try await f.post("/v1/inbound/chat", body: json(["session_id": "c1", "text": "again"]))
            #expect(plain1.status == 202 && plain2.status == 202 && plain1.id != plain2.id)

            let email = Data("From: Emma <emma@example.com>\r\nSubject: =?utf-8?B?0J/RgNC40LLRltGC?=\r\nMessage-ID: <m1@x>\r\n\r\nHi \u{00e9}\r\n".utf8)
            let mail = try await f.post("/v1/inbound/email", body: email, contentType: "message/rfc822")
            #expect(mail.status == 202)
            let stored = try await f.connection.query("SELECT payload, channel, external_id FROM inbound_messages WHERE id = \(try #require(mail.id))")
            #expect(try stored[0].decode(Data.self, at: 0) == email)
            #expect(try stored[0].decode(String.self, at: 1) == "email")

            let event = json(["order_number": "1001", "kind": "shipped", "event_id": "wh-1", "occurred_at": "2026-12-03T10:15:00Z",
                              "payload": ["carrier": "Nova Poshta", "customer": ["phone": "+380671234567"]]])
            let shipped = try await f.post("/v1/order-events", body: event)
            #expect(shipped.status == 202, "\(shipped.json ?? [:])")
            let shippedAgain = try await f.post("/v1/order-events", body: event)
            #expect(shippedAgain.status == 200 && shippedAgain.id == shipped.id)
            let numeric = try await f.post("/v1/order-events", body: json(["order_number": 1002, "kind": "created"]))
            #expect(numeric.status == 202)
            #expect(try await f.int("SELECT count(*) FROM order_events") == 2)
            #expect(try await f.int("""
                SELECT count(*) FROM order_events WHERE order_number = '1001' AND kind = 'shipped' AND external_id = 'wh-1'
                   AND payload->>'carrier' = 'Nova Poshta' AND occurred_at = '2026-12-03T10:15:00Z'
                """) == 1)
            #expect(try await f.int("SELECT count(*) FROM order_events WHERE order_number = '1002' AND payload = '{}'") == 1)
            #expect(try await f.int("SELECT count(*) FROM inbound_messages") == 5)
            // Each row has its job, as an INSERT by an integration would.
            #expect(try await f.int("SELECT count(*) FROM jobs WHERE queue = 'ingest'") == 7)
        }
    }

    @Test("every refusal says what is wrong, names the field, and stores nothing")
    func refusals() async throws {
        try await ServerFixture.with("refuse", configure: { $0.maximumBodyBytes = 4096 }) { f in
            let body = json(["from": "+380671234567", "text": "hi"])
            let now = Int64(Date().timeIntervalSince1970)
            var answer = try await f.post("/v1/inbound/sms", body: body, integration: nil)
            #expect(answer.status == 401 && answer.field == "Switchboard-Integration")
            answer = try await f.post("/v1/inbound/sms", body: body, integration: "nobody")
            #expect(answer.status == 401 && answer.error.contains("nobody"))
            answer = try await f.post("/v1/inbound/sms", body: body, secret: "wrong")
            #expect(answer.status == 401 && answer.field == "Switchboard-Signature")
            answer = try await f.post("/v1/inbound/sms", body: body, signature: "v1=00")
            #expect(answer.status == 401 && answer.field == "Switchboard-Signature")
            // A replay outside the window, even with a valid signature for its timestamp.
            answer = try await f.post("/v1/inbound/sms", body: body, timestamp: now - 600)
            #expect(answer.status == 401 && answer.field == "Switchboard-Timestamp" && answer.error.contains("s from the server's clock"))
            answer = try await f.post("/v1/inbound/sms", body: body, timestamp: now + 600)
            #expect(answer.status == 401 && answer.field == "Switchboard-Timestamp")
            answer = try await f.post("/v1/inbound/sms", body: body, contentType: "text/plain")
            #expect(answer.status == 415 && answer.field == "Content-Type")
            answer = try await f.post("/v1/inbound/email", body: body)
            #expect(answer.status == 415 && answer.error.contains("message/rfc822"))
            answer = try await f.post("/v1/inbound/sms", body: Data(repeating: 0x20, count: 5000))
            #expect(answer.status == 413 && answer.error.contains("4096"))
            answer = try await f.post("/v1/inbound/sms", body: Data("{\"text\": ".utf8))
            #expect(answer.status == 400 && answer.field == "body")
            answer = try await f.post("/v1/inbound/sms", body: Data("[1, 2]".utf8))
            #expect(answer.status == 400 && answer.field == "body")
            answer = try await f.post("/v1/inbound/sms", body: Data([0x7B, 0xC3, 0x28, 0x7D]))
            #expect(answer.status == 400 && answer.field == "body")
            answer = try await f.post("/v1/inbound/fax", body: body)
            #expect(answer.status == 404 && answer.field == "channel" && answer.error.contains("webform"))
            answer = try await f.post("/v1/order-events", body: json(["kind": "paid"]))
            #expect(answer.status == 400 && answer.field == "order_number")
            answer = try await f.post("/v1/order-events", body: json(["order_number": "1", "kind": 7]))
            #expect(answer.status == 400 && answer.field == "kind")
            answer = try await f.post("/v1/order-events", body: json(["order_number": "1", "kind": "paid", "payload": [1]]))
            #expect(answer.status == 400 && answer.field == "payload")
            answer = try await f.post("/v1/order-events", body: json(["order_number": "1", "kind": "paid", "occurred_at": "yesterday"]))
            #expect(answer.status == 400 && answer.field == "occurred_at")
            answer = try await f.post("/v1/order-events", body: json(["order_number": "1", "kind": "paid", "event_id": ""]))
            #expect(answer.status == 400 && answer.field == "event_id")
            #expect(try await f.int("SELECT count(*) FROM inbound_messages") == 0)
            #expect(try await f.int("SELECT count(*) FROM order_events") == 0)
            #expect(try await f.int("SELECT count(*) FROM jobs") == 0)
        }
    }

    @Test("a secret is rotated without downtime: two valid at once, then only the new one")
    func rotation() async throws {
        try await ServerFixture.with("rotate") { f in
            let body = json(["session_id": "s", "text": "hello"])
            #expect(try await f.post("/v1/inbound/chat", body: body).status == 202)
            let newFile = f.secretFile.path + ".new"
            try Data("second-secret".utf8).write(to: URL(fileURLWithPath: newFile))
            defer { try? FileManager.default.removeItem(atPath: newFile) }
            try await f.connection.execute("UPDATE intake_integrations SET secret_refs = array_append(secret_refs, \("file:" + newFile)::text)")
            try await eventually { try await f.post("/v1/inbound/chat", body: body, secret: "second-secret").status == 202 }
            #expect(try await f.post("/v1/inbound/chat", body: body, secret: "first-secret").status == 202)
            try await f.connection.execute("UPDATE intake_integrations SET secret_refs = ARRAY[\("file:" + newFile)]")
            try await eventually { try await f.post("/v1/inbound/chat", body: body, secret: "first-secret").status == 401 }
            #expect(try await f.post("/v1/inbound/chat", body: body, secret: "second-secret").status == 202)
            // A disabled integration is refused.
            try await f.connection.execute("UPDATE intake_integrations SET enabled = false")
            try await eventually { try await f.post("/v1/inbound/chat", body: body, secret: "second-secret").status == 401 }
        }
    }

    @Test("past its rate an integration gets 429 with Retry-After, and nothing of those requests is stored")
    func rateLimit() async throws {
        try await ServerFixture.with("rate") { f in
            // One request every 100 s after a burst of 3: a slow machine cannot refill it within the test.
            try await f.connection.execute("UPDATE intake_integrations SET rate_per_second = 0.01, burst = 3")
            try await Task.sleep(for: .milliseconds(500))  // the server reads the change
            var statuses: [Int] = []
            var retryAfter: String?
            for index in 0..<6 {
                let answer = try await f.post("/v1/inbound/chat", body: json(["session_id": "s", "text": "n\(index)"]))
                statuses.append(answer.status)
                if answer.status == 429 { retryAfter = answer.headers.first(name: "Retry-After") }
            }
            #expect(statuses == [202, 202, 202, 429, 429, 429])
            #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
            #expect(try await f.int("SELECT count(*) FROM inbound_messages") == statuses.filter { $0 == 202 }.count)
        }
    }

    @Test("concurrent requests are written together, each answered with its own row; repeats among them share one")
    func concurrent() async throws {
        try await ServerFixture.with("burst") { f in
            let answers = try await withThrowingTaskGroup(of: (Int, ServerFixture.Answer).self) { group in
                for index in 0..<200 {
                    group.addTask {
                        // Every tenth request repeats the one before it.
                        let external = "m\(index % 10 == 9 ? index - 1 : index)"
                        let body = json(["from": "+48601000\(String(format: "%03d", index % 50))", "text": "message \(index % 10 == 9 ? index - 1 : index)"])
                        return (index, try await f.post("/v1/inbound/sms", body: body, headers: [("Switchboard-External-Id", external)], timeout: .seconds(120)))
                    }
                }
                var all: [Int: ServerFixture.Answer] = [:]
                for try await (index, answer) in group { all[index] = answer }
                return all
            }
            #expect(answers.values.allSatisfy { $0.status == 202 || $0.status == 200 })
            #expect(try await f.int("SELECT count(*) FROM inbound_messages") == 180)
            for index in stride(from: 9, to: 200, by: 10) {
                #expect(answers[index]?.id == answers[index - 1]?.id)
            }
            // Each answer's id holds that request's text.
            for (index, answer) in answers {
                let text = try await f.connection.query("SELECT convert_from(payload, 'UTF8')::jsonb->>'text' FROM inbound_messages WHERE id = \(answer.id ?? 0)").scalar(String.self)
                #expect(text == "message \(index % 10 == 9 ? index - 1 : index)")
            }
            // Rows of one transaction share its xmin: fewer transactions than requests means batches.
            let transactions = try await f.int("SELECT count(DISTINCT xmin::text) FROM inbound_messages")
            #expect(transactions < 180, "\(transactions) transactions for 180 rows")
        }
    }

    @Test("health: /healthz alive, /readyz ready when migrated; with the database gone /readyz and intake answer 503 at once")
    func health() async throws {
        try await ServerFixture.with("health") { f in
            #expect(try await f.get("/healthz").status == 200)
            let ready = try await f.get("/readyz")
            #expect(ready.status == 200, "\(ready.json ?? [:])")
        }
        // A server whose database is not there: nothing listens on this socket directory.
        let nowhere = FileManager.default.temporaryDirectory.appending(path: "no-postgres-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: nowhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: nowhere) }
        var configuration = ServerConfiguration(database: try PostgresConfiguration("host=\(nowhere.path) port=5999 dbname=x user=x"))
        configuration.port = 0
        configuration.databaseWait = .seconds(2)
        try await ServerFixture.withRunningServer(configuration) { port in
            let base = "http://127.0.0.1:\(port)"
            #expect(try await ServerFixture.send(HTTPClientRequest(url: base + "/healthz")).status == 200)
            let started = ContinuousClock.now
            let ready = try await ServerFixture.send(HTTPClientRequest(url: base + "/readyz"))
            #expect(ready.status == 503)
            #expect((ready.json?["problems"] as? [String])?.first?.contains("database") == true)
            var request = HTTPClientRequest(url: base + "/v1/inbound/sms")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Switchboard-Integration", value: "shop")
            request.body = .bytes(ByteBuffer(string: "{}"))
            let intake = try await ServerFixture.send(request)
            #expect(intake.status == 503 && intake.headers.first(name: "Retry-After") != nil)
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }
}

/// Retries `condition` for up to 10 s (a change to intake_integrations takes effect within the refresh).
func eventually(_ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("the condition did not hold within 10 s")
}

@Suite("HTTP intake documentation")
struct IntakeDocsTests {
    @Test("the psql example in docs/integrations.md registers and rotates an integration as written")
    func documentedRegistration() async throws {
        let blocks = try sqlExamples(inDocs: "integrations.md").filter { $0.contains("intake_integrations") }
        #expect(blocks.count == 2)
        try await TestDatabase.withConnection("intakedoc") { connection, _ in
            try await Migrator().migrate(on: connection)
            for block in blocks { try await connection.simpleQuery(unsafeSQL: block) }
            let refs = try await connection.query("SELECT secret_refs FROM intake_integrations WHERE name = 'sms-gateway'").scalar([String].self)
            #expect(refs == ["file:/run/secrets/sms-gateway-next"])
            #expect(try await connection.query("SELECT string_agg(format, ',' ORDER BY name) FROM intake_integrations").scalar(String.self)
                    == "shopify,switchboard,twilio")
            // A reference that is neither env:NAME nor file:/path is refused, naming the rule.
            await #expect(throws: PostgresError.self) {
                try await connection.execute("INSERT INTO intake_integrations (name, secret_refs) VALUES ('x', ARRAY['hunter2'])")
            }
            do {
                try await connection.execute("INSERT INTO intake_integrations (name, secret_refs) VALUES ('y', ARRAY['env:A', 'env:B', 'env:C'])")
                Issue.record("three secrets were accepted")
            } catch let error as PostgresError {
                #expect(error.message.contains("intake_integrations_one_or_two_secrets"))
            }
        }
    }
}

@Suite("HTTP intake documentation, from a shell")
struct IntakeShellDocsTests {
    @Test("the curl example in docs/integrations.md, run by bash as written, is accepted and its row stored")
    func documentedCurl() async throws {
        let blocks = try codeExamples("sh", inDocs: "integrations.md").filter { $0.contains("Switchboard-Signature") }
        #expect(blocks.count == 1)
        try await ServerFixture.with("curl") { f in
            try await f.connection.execute("""
                INSERT INTO intake_integrations (name, secret_refs) VALUES ('sms-gateway', ARRAY[\("file:" + f.secretFile.path)])
                """)
            for block in blocks {
                let output = try await TestDatabase.blocking { () -> (Int32, String) in
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/bash")
                    process.arguments = ["-euo", "pipefail", "-c", block]
                    process.environment = ProcessInfo.processInfo.environment.merging(
                        ["SWITCHBOARD_URL": f.base, "SMS_GATEWAY_SECRET": "first-secret"]) { $1 }
                    let pipe = Pipe()
                    process.standardOutput = pipe
                    try process.run()
                    let data = pipe.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
                }
                #expect(output.0 == 0)
                #expect(output.1.contains(#""status":"accepted""#), "\(output.1)")
            }
            #expect(try await f.int("""
                SELECT count(*) FROM inbound_messages WHERE channel = 'sms' AND external_id = 'SM9f1c2a'
                   AND convert_from(payload, 'UTF8')::jsonb->>'from' = '+380671234567'
                """) == 1)
        }
    }
}
