import AsyncHTTPClient
import Foundation
import Migrations
import NIOCore
import Postgres
import Server
import Testing
import TestSupport

@Suite("Probes, metrics and logs of every process")
struct ObservabilityTests {
    @Test("serve's /metrics counts requests by method, matched route and status, and times them; build_info names the role")
    func serveMetrics() async throws {
        let metrics = ProcessMetrics(role: "serve", version: "test-1")
        try await ServerFixture.with("metrics", metrics: metrics) { f in
            for _ in 0..<3 { _ = try await f.post("/v1/inbound/chat", body: json(["session_id": "s", "text": "hi"])) }
            _ = try await f.post("/v1/inbound/chat", body: json(["session_id": "s"]), secret: "wrong")
            _ = try await f.get("/nowhere/\(UUID())")
            let text = try await ServerFixture.text(f.base + "/metrics")
            #expect(Self.value(in: text, #"switchboard_build_info{role="serve",version="test-1"}"#) == 1, "\(text)")
            #expect(Self.value(in: text, #"switchboard_http_requests_total{method="POST",route="/v1/inbound/{channel}",status="202"}"#) == 3)
            #expect(Self.value(in: text, #"switchboard_http_requests_total{method="POST",route="/v1/inbound/{channel}",status="401"}"#) == 1)
            // An unmatched path is one label value, whatever was asked: labels stay bounded.
            #expect(text.contains(#"route="unmatched",status="404""#))
            #expect(!text.contains("nowhere"))
            #expect(Self.value(in: text, #"switchboard_http_request_duration_seconds_count{method="POST",route="/v1/inbound/{channel}"}"#) == 4)
        }
    }

    @Test("a worker with --http-port answers /healthz, /readyz and /metrics (its jobs by kind and outcome), logs JSON lines, and on SIGTERM exits 0")
    func workerProbes() async throws {
        let schema = try await TestDatabase.freshSchema("workerprobe")
        let connection = try await schema.connect()
        try await Migrator().migrate(on: connection)
        let worker = try await SwitchboardProcess.start(
            ["worker", "--queue", "ingest=2", "--queue", "notify=2", "--http-port", "0", "--log-format", "json", "--log-level", "info",
             "--database-url", schema.base.connectionString, "--schema", schema.name], announcement: "probes and metrics on")
        defer { worker.cleanUp() }
        let base = worker.base
        #expect(try await ServerFixture.send(HTTPClientRequest(url: base + "/healthz")).status == 200)
        let ready = try await ServerFixture.send(HTTPClientRequest(url: base + "/readyz"))
        #expect(ready.status == 200, "\(ready.json ?? [:])")

        try await connection.execute("""
            INSERT INTO inbound_messages (channel, external_id, payload) VALUES
                ('chat', 'w1', convert_to('{"session_id": "p", "text": "Hello"}', 'UTF8')),
                ('sms', 'w2', convert_to('{"text": "no sender"}', 'UTF8'))
            """)
        let handledBy = ContinuousClock.now + .seconds(60)
        while try await connection.query("SELECT count(*) FROM inbound_messages WHERE status = 'received'").scalar(Int.self) > 0,
              ContinuousClock.now < handledBy {
            try await Task.sleep(for: .milliseconds(50))
        }
        // An outbox row for a customer with no address: the notify worker ends it, and counts how.
        try await connection.execute("""
            WITH c AS (INSERT INTO customers (store_id, name) VALUES (1, 'Nobody') RETURNING id)
            INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key)
            SELECT 1, c.id, 'order_update', 'order_updates', 'sms', 'en', 'Hi', 'metrics:1' FROM c
            """)
        var metrics = ""
        let countedBy = ContinuousClock.now + .seconds(30)
        repeat {
            metrics = try await ServerFixture.text(base + "/metrics")
            if metrics.contains(#"switchboard_jobs_total{queue="ingest",kind="ingest",outcome="completed"} 2"#),
               metrics.contains("switchboard_outbox_total{outcome=") { break }
            try await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < countedBy
        #expect(metrics.contains(#"switchboard_jobs_total{queue="ingest",kind="ingest",outcome="completed"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"switchboard_build_info{role="worker""#))
        #expect(metrics.contains("switchboard_outbox_total{outcome="), "\(metrics)")
        #expect(metrics.contains("switchboard_job_duration_seconds_bucket"))

        #expect(try await worker.terminate() == 0)

        // Every line on stderr is one JSON object with the fields a collector indexes, and the
        // rejection's line keeps its metadata keys as given.
        let lines = try String(contentsOf: worker.logs, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["message"] is String && object?["time"] is String && object?["logger"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""inbound.id""#) && $0.contains("missing_sender") }, "\(lines)")
        await connection.close()
        try await schema.drop()
    }

    /// The value of the sample named exactly `series` in Prometheus text.
    static func value(in text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }
}
