import Foundation
import Helpdesk
import Ingest
import Postgres
import Testing
import TestSupport

@Suite("Ingest batches")
struct IngestBatchTests {
    /// A day of traffic: new and returning customers on every channel, a customer writing twice
    /// in a row, a provider redelivering, an email reply, an auto-reply, a broken payload.
    static func traffic() throws -> [(String, Data, String?)] {
        func json(_ object: [String: Any]) throws -> Data { try JSONSerialization.data(withJSONObject: object) }
        var rows: [(String, Data, String?)] = []
        for round in 0..<3 {
            for (index, sample) in corpus.enumerated() {
                var payload: [String: Any] = sample.payload
                if let seconds = sample.payload["duration_seconds"] { payload["duration_seconds"] = Int(seconds) }
                payload["text"] = (payload["text"] as? String).map { $0 + (round == 0 ? "" : " (\(round))") }
                payload["transcript"] = (payload["transcript"] as? String).map { $0 + " (\(round))" }
                rows.append((sample.channel, try json(payload), "r\(round)-\(index)"))
            }
            rows.append(("sms", try json(["from": "+380671234567", "text": "Де моє замовлення? \(round)"]), "wimo-\(round)"))
            rows.append(("sms", try json(["from": "+380671234567", "text": "І ще: терміново потрібен трек"]), "again-\(round)"))
            rows.append(("sms", try json(["from": "+380671234567", "text": "І ще: терміново потрібен трек"]), "again-\(round)"))
            rows.append(("chat", try json(["session_id": "faq-\(round)", "text": "Hi! What is your return policy for sale items?"]), nil))
            rows.append(("email", Data("From: emma@example.com\r\nSubject: Kettle \(round)\r\nMessage-ID: <k\(round)@example.com>\r\n\(round > 0 ? "In-Reply-To: <k\(round - 1)@example.com>\r\n" : "")Content-Type: text/plain\r\n\r\nThe kettle leaks, round \(round).\r\n".utf8), nil))
            rows.append(("email", Data("From: emma@example.com\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\nIn-Reply-To: <k0@example.com>\r\n\r\nI am away.\r\n".utf8), nil))
            rows.append(("chat", Data("{\"session_id\": ".utf8), nil))
        }
        return rows
    }

    /// What a schema ended with, independent of ids.
    static func summary(_ fixture: IngestFixture) async throws -> [String] {
        let rows = try await fixture.connection.query("""
            SELECT i.id, i.status, coalesce(i.reject_code, ''), c.channel, c.status, coalesce(c.category, ''), c.priority,
                   c.priority_hints::text, coalesce(c.auto_answered_intent, ''), c.message_count, c.reopen_count,
                   (SELECT min(i2.id) FROM inbound_messages i2 WHERE i2.conversation_id = c.id) AS first_inbound,
                   (SELECT count(*) FROM jobs j WHERE j.kind = 'route' AND j.args->>'conversation_id' = c.id::text)
              FROM inbound_messages i LEFT JOIN conversations c ON c.id = i.conversation_id
             ORDER BY i.id
            """)
        return try rows.map { row in
            try (0..<13).map { column in
                row.isNull(at: column) ? "-" : (try row.decode(String.self, at: column))
            }.dropFirst().joined(separator: " ")
        }
    }

    @Test("a batch ends exactly as ingesting its messages one by one, in order")
    func batchEqualsSequential() async throws {
        let traffic = try Self.traffic()
        var sequential: [String] = []
        try await IngestFixture.with("sequential") { fixture in
            _ = try await fixture.orderEvent("1001", "shipped", ["customer": ["phone": "+380671234567"], "total": "900", "tracking_url": "https://t.example/1"])
            for (channel, payload, external) in traffic {
                _ = try await fixture.ingest(try await fixture.insert(channel, payload, externalID: external))
            }
            sequential = try await Self.summary(fixture)
        }
        try await IngestFixture.with("batched") { fixture in
            _ = try await fixture.orderEvent("1001", "shipped", ["customer": ["phone": "+380671234567"], "total": "900", "tracking_url": "https://t.example/1"])
            // Three rounds, each one batch: returning customers take the batch's fast path.
            let perRound = traffic.count / 3
            for round in 0..<3 {
                var ids: [Int64] = []
                for (channel, payload, external) in traffic[(round * perRound)..<((round + 1) * perRound)] {
                    ids.append(try await fixture.insert(channel, payload, externalID: external))
                }
                let batch = ids
                let outcomes = try await fixture.connection.run { connection in try await InboundIngestor().ingest(batch, on: connection) }
                #expect(outcomes.count == ids.count)
            }
            let batched = try await Self.summary(fixture)
            #expect(batched.count == sequential.count)
            for (index, (one, other)) in zip(sequential, batched).enumerated() where one != other {
                Issue.record("row \(index): one by one \(one), batched \(other)")
            }
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'received'") == 0)
        }
    }

    @Test("concurrent batches of the same customers never open two conversations or exceed one route job each")
    func concurrentBatches() async throws {
        try await IngestFixture.with("concurrent") { fixture in
            // Known customers first, so the batches take the fast path.
            for n in 0..<20 {
                _ = try await fixture.receive("sms", json: ["from": "+38050000\(String(format: "%04d", n))", "text": "Hello"]).placed
            }
            try await fixture.connection.execute("UPDATE conversations SET status = 'closed', closed_at = now()")
            var batches: [[Int64]] = []
            for batch in 0..<4 {
                var ids: [Int64] = []
                for n in 0..<20 {
                    ids.append(try await fixture.insert("sms", json: ["from": "+38050000\(String(format: "%04d", n))", "text": "Batch \(batch) message"]))
                }
                batches.append(ids)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for ids in batches {
                    group.addTask {
                        let connection = try await fixture.schema.connect()
                        _ = try await connection.run { connection in try await InboundIngestor().ingest(ids, on: connection) }
                        await connection.close()
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await fixture.int("SELECT count(*) FROM conversations WHERE status = 'open'") == 20)
            #expect(try await fixture.int("SELECT max(message_count) FROM conversations WHERE status = 'open'") == 4)
            #expect(try await fixture.int("SELECT count(*) FROM inbound_messages WHERE status = 'processed'") == 100)
        }
    }
}
