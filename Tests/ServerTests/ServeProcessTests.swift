import AsyncHTTPClient
import Foundation
import Migrations
import NIOCore
import Postgres
import Secrets
import Testing
import TestSupport

@Suite("switchboard serve, a real process")
struct ServeProcessTests {
    @Test("serve listens, answers probes and signed intake with its secret from the environment; SIGTERM fails /readyz, drains, exits 0")
    func process() async throws {
        let schema = try await TestDatabase.freshSchema("serveproc")
        let connection = try await schema.connect()
        try await Migrator().migrate(on: connection)
        try await connection.execute("INSERT INTO intake_integrations (name, secret_refs) VALUES ('shop', ARRAY['env:SHOP_INTAKE_SECRET'])")
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "switchboard")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the switchboard executable first (swift build)")
        let output = FileManager.default.temporaryDirectory.appending(path: "serve-out-\(UUID().uuidString.prefix(8))")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let serve = Process()
        serve.executableURL = binary
        serve.arguments = ["serve", "--port", "0", "--drain-delay", "2", "--log-level", "warning",
                           "--database-url", schema.base.connectionString, "--schema", schema.name]
        serve.environment = ProcessInfo.processInfo.environment.merging(["SHOP_INTAKE_SECRET": "from-the-environment"]) { $1 }
        serve.standardOutput = try FileHandle(forWritingTo: output)
        serve.standardError = FileHandle.nullDevice
        try serve.run()
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }

        var port: Int?
        let deadline = ContinuousClock.now + .seconds(30)
        while port == nil, ContinuousClock.now < deadline, serve.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }), let last = line.split(separator: ":").last {
                port = Int(last)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let base = "http://127.0.0.1:\(try #require(port, "serve printed no port"))"
        #expect(try await ServerFixture.send(HTTPClientRequest(url: base + "/healthz")).status == 200)
        #expect(try await ServerFixture.send(HTTPClientRequest(url: base + "/readyz")).status == 200)

        let body = Data(#"{"session_id": "p1", "text": "Hello from a process"}"#.utf8)
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: base + "/v1/inbound/chat")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Switchboard-Integration", value: "shop")
        request.headers.add(name: "Switchboard-Timestamp", value: String(timestamp))
        request.headers.add(name: "Switchboard-Signature", value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: "from-the-environment"))
        request.body = .bytes(ByteBuffer(bytes: body))
        let answer = try await ServerFixture.send(request)
        #expect(answer.status == 202, "\(answer.json ?? [:])")
        #expect(try await connection.query("SELECT count(*) FROM inbound_messages WHERE channel = 'chat'").scalar(Int.self) == 1)

        kill(serve.processIdentifier, SIGTERM)
        // While draining it still answers, and says it is not ready.
        try await Task.sleep(for: .milliseconds(300))
        let draining = try await ServerFixture.send(HTTPClientRequest(url: base + "/readyz"))
        #expect(draining.status == 503 && (draining.json?["problems"] as? [String])?.first?.contains("draining") == true)
        let stopBy = ContinuousClock.now + .seconds(20)
        while serve.isRunning, ContinuousClock.now < stopBy { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!serve.isRunning && serve.terminationStatus == 0)
        await connection.close()
        try await schema.drop()
    }
}
