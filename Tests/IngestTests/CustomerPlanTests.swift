import Ingest
import Postgres
import Testing
import TestSupport

struct CustomerPlanTests {
    /// Ingest sets a customer's name and locale when they have none. Once most customers have
    /// both, the planner's statistics say few rows lack them, and joining the batch to
    /// customers on those filters read the whole primary key: a cost that grew with the table.
    @Test("with most customers named and located, ingesting a batch reads its customers, not the whole table")
    func batchReadsItsCustomers() async throws {
        let known = 3_000, writing = 10
        try await IngestFixture.with("customer_plan") { fixture in
            try await fixture.connection.execute("""
                WITH cu AS (
                    INSERT INTO customers (store_id, name, preferred_locale)
                    SELECT 1, 'Customer ' || n, 'uk' FROM generate_series(1, \(known)) AS n RETURNING id)
                INSERT INTO customer_identities (store_id, customer_id, kind, platform, value)
                SELECT 1, id, 'phone', '', '+38067' || (2000000 + row_number() OVER (ORDER BY id)) FROM cu
                """)
            try await fixture.connection.execute("ANALYZE customers")
            // PL/pgSQL plans each statement at its first run and keeps the plan: a first batch
            // large enough that driving the join from the batch looks dearer than reading
            // customers whole.
            let first = try await messages(from: 1 ... 300, on: fixture.connection)
            _ = try await fixture.connection.run { try await InboundIngestor().ingest(first, on: $0) }
            let ids = try await messages(from: 301 ... 300 + writing, on: fixture.connection)
            let read = try await fixture.connection.run { connection in
                try await rowsRead(of: "customers_pkey", on: connection) { connection in
                    let outcomes = try await InboundIngestor().ingest(ids, on: connection)
                    let threaded = outcomes.values.filter { if case .success(.conversation) = $0 { true } else { false } }
                    #expect(threaded.count == writing)
                }
            }
            // Entries and rows read through the primary key: 100 with 0009, by key; 12,080 without,
            // both updates reading all 3,000 customers through it.
            #expect(read < 20 * writing, "read \(read) through customers' primary key (\(known) stored, \(writing) writing)")
        }
    }

    /// An SMS from each of the `numbers`th customers, long enough to fill pages of the batch.
    private func messages(from numbers: ClosedRange<Int>, on connection: PostgresConnection) async throws -> [Int64] {
        try await connection.query("""
            INSERT INTO inbound_messages (channel, external_id, payload)
            SELECT 'sms', 'SM' || n, convert_to(format('{"from": "+38067%s", "to": "+380441234567", "text": "Коли буде доставка замовлення %s? %s"}',
                                                       2000000 + n, n, repeat('Дуже чекаю. ', 20)), 'UTF8')
              FROM generate_series(\(numbers.lowerBound), \(numbers.upperBound)) AS n
            RETURNING id
            """).map { try $0.decode(Int64.self, at: 0) }
    }
}
