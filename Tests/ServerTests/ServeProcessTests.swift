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
        let serve = try await SwitchboardProcess.start(
            ["serve", "--port", "0", "--drain-delay", "5", "--log-level", "warning", "--database-url", schema.base.connectionString, "--schema", schema.name],
            environment: ["SHOP_INTAKE_SECRET": "from-the-environment"], announcement: "listening on")
        defer { serve.cleanUp() }
        let base = serve.base
        #expect(try await ServerFixture.send(HTTPClientRequest(url: base + "/healthz")).status == 200)
        #expect(try await ServerFixture.send(HTTPClientRequest(url: base + "/readyz")).status == 200)

        let body = Data(#"{"session_id": "p1", "text": "Hello from a process"}"#.utf8)
        let request = ServerFixture.signedRequest(base + "/v1/inbound/chat", body: body, secret: "from-the-environment")
        let answer = try await ServerFixture.send(request)
        #expect(answer.status == 202, "\(answer.json ?? [:])")
        #expect(try await connection.query("SELECT count(*) FROM inbound_messages WHERE channel = 'chat'").scalar(Int.self) == 1)

        // While draining it still answers, and says it is not ready.
        async let exit = serve.terminate()
        try await Task.sleep(for: .milliseconds(300))
        let draining = try await ServerFixture.send(HTTPClientRequest(url: base + "/readyz"))
        #expect(draining.status == 503 && (draining.json?["problems"] as? [String])?.first?.contains("draining") == true)
        #expect(try await exit == 0)
        await connection.close()
        try await schema.drop()
    }
}
