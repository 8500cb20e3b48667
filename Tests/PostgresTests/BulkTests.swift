import Foundation
import Postgres
import TestSupport
import Testing

@Suite("Pipeline and COPY")
struct BulkTests {
    @Test("a pipeline gives each statement its own result or error")
    func pipelineResults() async throws {
        try await TestDatabase.withConnection("pipe") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE seen (id int PRIMARY KEY)")
            let results = try await connection.pipeline([
                "INSERT INTO seen VALUES (\(1))",
                "SELEC broken",
                "INSERT INTO seen VALUES (\(1))",
                "INSERT INTO seen VALUES (\(2))",
                "SELECT \("text with NUL \u{0}")::text",
                "SELECT count(*) FROM seen",
            ])
            #expect(results.count == 6)
            #expect(try results[0].get().rowsAffected == 1)
            #expect(throws: PostgresError.self) { try results[1].get() }
            if case .failure(let error) = results[1] { #expect(error.sqlState == "42601") }
            if case .failure(let error) = results[2] { #expect(error.sqlState == "23505") } else { Issue.record("duplicate accepted") }
            #expect(try results[3].get().rowsAffected == 1)
            if case .failure(let error) = results[4] { #expect(error.kind == .invalidParameter) } else { Issue.record("NUL accepted") }
            #expect(try results[5].get().scalar(Int.self) == 2)
            // The connection is back in normal mode.
            #expect(try await connection.query("SELECT 7").scalar(Int.self) == 7)
        }
    }

    @Test("a large pipeline does not deadlock on full socket buffers")
    func largePipeline() async throws {
        try await TestDatabase.withConnection("bigpipe") { (connection, _) async throws in
            let payload = String(repeating: "x", count: 2_000)
            let results = try await connection.pipeline((0..<5_000).map { "SELECT \($0)::int8, \(payload)::text" })
            let sum = try results.reduce(0) { try $0 + $1.get().first!.decode(Int.self, at: 0) }
            #expect(sum == (0..<5_000).reduce(0, +))
        }
    }

    @Test("inside a transaction, statements after a pipeline failure fail too and nothing commits")
    func pipelineInTransaction() async throws {
        try await TestDatabase.withConnection("pipetx") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
            struct Failed: Error {}
            await #expect(throws: Failed.self) {
                try await connection.transaction { connection in
                    let results = try connection.pipeline(["INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (1)", "INSERT INTO t VALUES (2)"])
                    if case .failure(let error) = results[2] { #expect(error.sqlState == "25P02") } else { Issue.record("ran after failure") }
                    if results.contains(where: { if case .failure = $0 { true } else { false } }) { throw Failed() }
                }
            }
            #expect(try await connection.query("SELECT count(*) FROM t").scalar(Int.self) == 0)
        }
    }

    @Test("COPY loads rows with every awkward character, NULLs and bytea intact")
    func copyRows() async throws {
        try await TestDatabase.withConnection("copy") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE rows (id int8, body text, data bytea, at timestamptz, note text)")
            let at = Date(timeIntervalSince1970: 1_700_000_000.654321)
            let awkward = "tab\there\nnew line\r\\backslash \\N not null, العربية 中文 🎉"
            let rows: [[any PostgresEncodable]] = (1...1_000).map { (index: Int) -> [any PostgresEncodable] in
                let body: String = index == 1 ? awkward : "row \(index)"
                let data = Data([0, 9, 10, 92, UInt8(index % 256)])
                let note: String? = index % 2 == 0 ? nil : "odd"
                return [index, body, data, at, note]
            }
            let copied = try await connection.copyFrom(table: "rows", columns: ["id", "body", "data", "at", "note"], rows: rows)
            #expect(copied == 1_000)
            let first = try await connection.query("SELECT body, data, at, note FROM rows WHERE id = 1").first!
            #expect(try first.decode(String.self, at: 0) == awkward)
            #expect(try first.decode(Data.self, at: 1) == Data([0, 9, 10, 92, 1]))
            #expect(abs(try first.decode(Date.self, at: 2).timeIntervalSince1970 - at.timeIntervalSince1970) < 0.000_001)
            #expect(try first.decode(String?.self, at: 3) == "odd")
            #expect(try await connection.query("SELECT count(*) FROM rows WHERE note IS NULL").scalar(Int.self) == 500)
        }
    }

    @Test("a bad COPY row aborts the whole COPY with a clear error")
    func copyFailures() async throws {
        try await TestDatabase.withConnection("copybad") { (connection, _) async throws in
            try await connection.execute("CREATE TABLE rows (id int8, body text)")
            let nul = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "rows", columns: ["id", "body"], rows: [[1, "fine"], [2, "bad\u{0}"]] as [[any PostgresEncodable]])
            }
            #expect(nul?.description.contains("row 2") == true && nul?.description.contains("NUL") == true)
            let width = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "rows", columns: ["id", "body"], rows: [[1]] as [[any PostgresEncodable]])
            }
            #expect(width?.description.contains("1 values for 2 columns") == true)
            let server = await #expect(throws: PostgresError.self) {
                try await connection.copyFrom(table: "rows", columns: ["id", "body"], rows: [["not a number", "x"]] as [[any PostgresEncodable]])
            }
            #expect(server?.sqlState == "22P02")
            #expect(try await connection.query("SELECT count(*) FROM rows").scalar(Int.self) == 0)
            #expect(try await connection.query("SELECT 1").scalar(Int.self) == 1)
        }
    }
}
