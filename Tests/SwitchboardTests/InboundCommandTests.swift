import Foundation
import Postgres
import TestSupport
import Testing

@Suite("switchboard inbound")
struct InboundCommandTests {
    @Test("inbound status, show and retry: a rejected message is listed with its reason and processed again after a fix")
    func inboundCommands() async throws {
        let schema = try await TestDatabase.freshSchema("cliinbound")
        let url = ["--database-url", schema.base.connectionString, "--schema", schema.name]
        #expect(try await CommandLineTests.run(["migrate"] + url).status == 0)
        let connection = try await schema.connect()
        try await connection.execute("UPDATE ingest_settings SET max_payload_bytes = 20")
        let id = try await connection.query("""
            INSERT INTO inbound_messages (channel, payload)
            VALUES ('sms', convert_to('{"from": "+380671234567", "text": "Вітаю"}', 'UTF8')) RETURNING id
            """).scalar(Int64.self)
        let worker = try CommandLineTests.startWorker(["--queue", "ingest=4", "--log-level", "warning"] + url)
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        func status() async throws -> String {
            try await connection.query("SELECT status FROM inbound_messages WHERE id = \(id)").scalar(String.self)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await status() == "received", ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await status() == "rejected")
        let listed = try await CommandLineTests.run(["inbound", "status"] + url)
        #expect(listed.status == 0 && listed.stdout.contains("rejected 1") && listed.stdout.contains("too_large"), "\(listed.stdout)")
        let shown = try await CommandLineTests.run(["inbound", "show", String(id)] + url)
        #expect(shown.stdout.contains("rejected: too_large: the payload is"), "\(shown.stdout)")
        #expect(try await CommandLineTests.run(["inbound", "retry"] + url).status != 0)
        try await connection.execute("UPDATE ingest_settings SET max_payload_bytes = 1048576")
        let retried = try await CommandLineTests.run(["inbound", "retry", "--rejected", "--code", "too_large"] + url)
        #expect(retried.status == 0 && retried.stdout.contains("1 inbound message(s) queued"), "\(retried.stderr)")
        let again = ContinuousClock.now + .seconds(60)
        while try await status() != "processed", ContinuousClock.now < again { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await status() == "processed")
        let refused = try await CommandLineTests.run(["inbound", "retry", String(id)] + url)
        #expect(refused.status == 1 && refused.stderr.contains("is processed; only rejected or unprocessed messages can be retried"),
                "\(refused.stderr)")
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        await connection.close()
        try await schema.drop()
    }
}
