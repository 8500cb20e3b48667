import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Queries, parameters and types")
struct QueryTests {
    @Test("interpolated values become $n parameters")
    func interpolationBinds() {
        let id = 42
        let name = "O'Brien; DROP TABLE x"
        let query: PostgresQuery = "SELECT * FROM t WHERE id = \(id) AND name = \(name) AND \(identifier: "odd \"col\"") IS NULL"
        #expect(query.sql == "SELECT * FROM t WHERE id = $1 AND name = $2 AND \"odd \"\"col\"\"\" IS NULL")
        #expect(query.binds.count == 2)
        #expect(!query.description.contains("O'Brien"))
    }

    @Test("a composed subquery's parameters are renumbered after the outer ones")
    func subqueryRenumbering() async throws {
        let inner: PostgresQuery = "SELECT \(Int64(10)) + \(Int64(20)) AS v"
        let outer: PostgresQuery = "SELECT \(Int64(1)) AS a, s.v FROM (\(subquery: inner)) s WHERE s.v > \(Int64(5))"
        #expect(outer.sql == "SELECT $1 AS a, s.v FROM (SELECT $2 + $3 AS v) s WHERE s.v > $4")
        #expect(outer.binds.count == 4)
        try await TestDatabase.withConnection("subq") { (connection, _) async throws in
            let row = try #require(try await connection.query(outer).first)
            let values = (try row.decode(Int64.self, at: 0), try row.decode(Int64.self, at: 1))
            #expect(values == (1, 30))
        }
    }

    @Test("values round-trip as every supported type")
    func roundTrips() async throws {
        try await TestDatabase.withConnection("types") { (connection, _) async throws in
            do {
                #expect(try await connection.query("SELECT \(Int.max)").scalar(Int.self) == Int.max)
                #expect(try await connection.query("SELECT \(Int64.min)").scalar(Int64.self) == Int64.min)
                #expect(try await connection.query("SELECT \(Int32(-7))").scalar(Int32.self) == -7)
                #expect(try await connection.query("SELECT \(Int16(300))").scalar(Int16.self) == 300)
                #expect(try await connection.query("SELECT \(0.1 + 0.2)").scalar(Double.self) == 0.1 + 0.2)
                #expect(try await connection.query("SELECT \(Double.infinity)").scalar(Double.self) == .infinity)
                #expect(try await connection.query("SELECT \(Double.nan)").scalar(Double.self).isNaN)
                #expect(try await connection.query("SELECT \(true)").scalar(Bool.self) == true)
                #expect(try await connection.query("SELECT \(false)").scalar(Bool.self) == false)
                let uuid = UUID()
                #expect(try await connection.query("SELECT \(uuid)").scalar(UUID.self) == uuid)
                let decimal = Decimal(string: "12345678901234567890.123456789")!
                #expect(try await connection.query("SELECT \(decimal)").scalar(Decimal.self) == decimal)
                #expect(try await connection.query("SELECT 'NaN'::numeric").scalar(Decimal.self).isNaN)
                let strings = ["plain", "with,comma", "with \"quotes\"", "back\\slash", "{braces}", "NULL", "", "مرحبا", "  spaced  ", "👩🏽‍💻 e\u{301}\"\\ 茶"]
                #expect(try await connection.query("SELECT \(strings)").scalar([String].self) == strings)
                let numbers: [Int64] = [Int64.min, -1, 0, 1, Int64.max]
                #expect(try await connection.query("SELECT \(numbers)").scalar([Int64].self) == numbers)
                #expect(try await connection.query("SELECT \([Int]())").scalar([Int].self) == [])
                #expect(try await connection.query("SELECT ARRAY[1,2,3]::int4[]").scalar([Int].self) == [1, 2, 3])
            }
        }
    }

    @Test("timestamps keep their microseconds in any session time zone")
    func timestamps() async throws {
        try await TestDatabase.withConnection("ts") { (connection, _) async throws in
            let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
            do {
                for zone in ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"] {
                    try await connection.execute("SELECT set_config('TimeZone', \(zone), false)")
                    let back = try await connection.query("SELECT \(date)").scalar(Date.self)
                    #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001, "in \(zone)")
                    #expect(try await connection.query("SELECT extract(microseconds FROM \(date)::timestamptz)::int % 1000000").scalar(Int.self) == 123_456)
                }
                let epoch = try await connection.query("SELECT '1970-01-01 00:00:00+00'::timestamptz").scalar(Date.self)
                #expect(epoch.timeIntervalSince1970 == 0)
                let old = try await connection.query("SELECT '1901-12-13 20:45:52.5+00'::timestamptz").scalar(Date.self)
                #expect(old.timeIntervalSince1970 == -2_147_483_647.5)
                let day = try await connection.query("SELECT '2024-02-29'::date").scalar(Date.self)
                #expect(day.timeIntervalSince1970 == 1_709_164_800)
            }
        }
    }

    @Test("JSON decodes into Codable types and encodes from them")
    func json() async throws {
        struct Order: Codable, Equatable, Sendable {
            var number: String
            var items: [String]
            var total: Double
        }
        try await TestDatabase.withConnection("json") { (connection, _) async throws in
            let order = Order(number: "A-1001", items: ["чашка", "茶"], total: 19.5)
            let back = try await connection.query("SELECT \(json: order)").scalar(PostgresJSON<Order>.self)
            #expect(back.value == order)
            let fromText = try await connection.query("SELECT '{\"number\":\"B\",\"items\":[],\"total\":1}'::json").scalar(PostgresJSON<Order>.self)
            #expect(fromText.value.number == "B")
        }
    }

    @Test("NULL decodes as nil; as a non-optional it is an error naming the column")
    func nulls() async throws {
        try await TestDatabase.withConnection("nulls") { (connection, _) async throws in
            let row = try await connection.query("SELECT NULL::text AS nickname, \(String?.none)::int8 AS bound").first!
            #expect(try row.decode(String?.self, "nickname") == nil)
            #expect(try row.decode(Int?.self, "bound") == nil)
            let error = try #require(throws: PostgresDecodingError.self) { try row.decode(String.self, "nickname") }
            #expect(error.description.contains("nickname") && error.description.contains("NULL"))
        }
    }

    @Test("a decode error names the column, the Swift type and the PostgreSQL type")
    func decodeErrors() async throws {
        try await TestDatabase.withConnection("decode") { (connection, _) async throws in
            let row = try await connection.query("SELECT 'abc'::text AS code, 70000::int4 AS big, now() AS at").first!
            let notInt = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, "code") }
            #expect(notInt.column == "code" && notInt.swiftType == "Int" && notInt.postgresType == "text")
            let tooBig = try #require(throws: PostgresDecodingError.self) { try row.decode(Int16.self, "big") }
            #expect(tooBig.description.contains("\"big\"") && tooBig.description.contains("integer") && tooBig.description.contains("Int16"))
            let wrongType = try #require(throws: PostgresDecodingError.self) { try row.decode(Bool.self, "at") }
            #expect(wrongType.postgresType == "timestamp with time zone")
            let missing = try #require(throws: PostgresDecodingError.self) { try row.decode(Int.self, "nope") }
            #expect(missing.description.contains("no such column"))
        }
    }

    @Test("Unicode text round-trips: Arabic, Chinese, Ukrainian, emoji")
    func unicode() async throws {
        try await TestDatabase.withConnection("unicode") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE messages (id int PRIMARY KEY, body text NOT NULL)")
            let texts = ["مرحبا، أين طلبي رقم ١٢٣؟", "你好，我的订单在哪里？", "Добрий день! Де моє замовлення? Ґанок, їжак, є", "📦🚚✅ 👩🏽‍💻 🇺🇦", "e\u{301} vs é"]
            for (index, text) in texts.enumerated() {
                try await connection.execute("INSERT INTO messages VALUES (\(index), \(text))")
            }
            let rows = try await connection.query("SELECT body, length(body) FROM messages ORDER BY id")
            for (row, text) in zip(rows, texts) {
                #expect(try row.decode(String.self, at: 0) == text)
                #expect(try row.decode(Int.self, at: 1) == text.unicodeScalars.count)
            }
        }
    }

    @Test("a NUL byte in text is refused with a clear error, and the connection stays usable")
    func nulByte() async throws {
        try await TestDatabase.withConnection("nul") { (connection, _) async throws in
            let error = await #expect(throws: PostgresError.self) { try await connection.query("SELECT \("before\u{0}after")::text") }
            #expect(error?.kind == .invalidParameter)
            #expect(error?.description.contains("NUL") == true)
            #expect(error?.description.contains("$1") == true)
            #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)
        }
    }

    @Test("bytea carries all 256 byte values, NUL included")
    func bytea() async throws {
        try await TestDatabase.withConnection("bytea") { (connection, _) async throws in
            let bytes = Data((0...255).map { UInt8($0) } + (0...255).reversed().map { UInt8($0) })
            try await connection.execute("CREATE TABLE blobs (data bytea)")
            try await connection.execute("INSERT INTO blobs VALUES (\(bytes))")
            let row = try await connection.query("SELECT data, length(data) FROM blobs").first!
            #expect(try row.decode(Data.self, at: 0) == bytes)
            #expect(try row.decode(Int.self, at: 1) == 512)
            #expect(try await connection.query("SELECT \(Data())").scalar(Data.self) == Data())
        }
    }

    @Test("prepared statements are prepared once per connection and reused")
    func preparedStatementsReused() async throws {
        try await TestDatabase.withConnection("prep") { (connection, _) async throws in
            do {
                for value in 1...20 { _ = try await connection.query("SELECT \(value) + 1 AS reused") }
                let prepared = try await connection.query("SELECT count(*) FROM pg_prepared_statements WHERE statement = 'SELECT $1 + 1 AS reused'").scalar(Int.self)
                #expect(prepared == 1)
                // The server forgetting them (a pooler's DISCARD ALL) is handled by preparing again.
                try await connection.simpleQuery(unsafeSQL: "DEALLOCATE ALL")
                #expect(try await connection.query("SELECT \(5) + 1 AS reused").scalar(Int.self) == 6)
            }
        }
    }
}
