import Postgres
import TestSupport
import Testing

@Suite("Text enums")
struct TextEnumTests {
    enum Strategy: String, PostgresTextEnum {
        case roundRobin = "round_robin"
        case skills
    }

    @Test("a text enum binds as its text, decodes from it, prints it, and names the column of an unknown value")
    func roundTrip() async throws {
        #expect("\(Strategy.roundRobin)" == "round_robin")
        try await TestDatabase.withConnection("textenum") { (connection, _) async throws in
            let row = try #require(try await connection.query("""
                SELECT \(Strategy.roundRobin)::text AS one, \([Strategy.skills, .roundRobin])::text[] AS many, 'sticky' AS unknown
                """).first)
            #expect(try row.decode(Strategy.self, "one") == .roundRobin)
            #expect(try row.decode([Strategy].self, "many") == [.skills, .roundRobin])
            let error = #expect(throws: PostgresDecodingError.self) { try row.decode(Strategy.self, "unknown") }
            #expect(error?.column == "unknown" && error?.value == "sticky")
            #expect(error?.description.contains("round_robin, skills") == true)
        }
    }
}
