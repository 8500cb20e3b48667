import Ingest
import Postgres
import Testing
import TestSupport

struct InboundUpdateTests {
    /// Ingest updates every inbound row once. Kept on its page and out of the indexes (HOT), that
    /// update costs a fraction of the WAL; an index predicated on the status, or pages filled
    /// whole by the inserts, would send every new version elsewhere.
    @Test("ingesting inbound rows updates them in place (HOT)")
    func ingestUpdatesInPlace() async throws {
        // Every 50th row has no sender and is rejected.
        let rows = 400, withoutSender = rows / 50
        try await IngestFixture.with("inbound_hot") { fixture in
            let ids = try await fixture.connection.query("""
                INSERT INTO inbound_messages (channel, external_id, payload)
                SELECT 'sms', 'SM' || n, convert_to(CASE WHEN n % 50 = 0 THEN '{"to": "+380441234567"}'
                    ELSE format('{"from": "+38067%s", "to": "+380441234567", "text": "Where is my order %s?"}', 1000000 + n, n) END, 'UTF8')
                  FROM generate_series(1, \(rows)) AS n
                RETURNING id
                """).map { try $0.decode(Int64.self, at: 0) }
            let (updated, hot) = try await fixture.connection.run { connection in
                try await rowsUpdated(of: "inbound_messages", on: connection) { connection in
                    let outcomes = try await InboundIngestor().ingest(ids, on: connection)
                    let rejected = outcomes.values.filter { if case .success(.rejected) = $0 { true } else { false } }
                    #expect(rejected.count == withoutSender)
                }
            }
            #expect(updated == ids.count)
            // A rejection sets reject_code, which the index of rejected rows names: never HOT. A
            // processed row grows a little, so the last rows of a page may find it full inside
            // one transaction (the bench measured 96 %, pruning as it goes); without either half
            // of 0008 none is HOT.
            #expect(Double(hot) >= 0.8 * Double(updated - withoutSender), "\(hot) of \(updated) updates were HOT")
        }
    }
}
