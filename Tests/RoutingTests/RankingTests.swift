import Foundation
import Postgres
import Testing
import TestSupport

/// routing_rank, the one ranking both routing paths order candidates by, called on its own.
@Suite("Routing rank")
struct RankingTests {
    /// A candidate as the ranking sees it.
    struct Candidate {
        let name: String
        var eligible = true, previous = false
        var turns = 0, languageLevel = 0, skillLevel = 0, live = 0, maxOpen = 4
        var lastAssignedAt: String? = "2026-12-01T10:00:00Z"
        var id: Int64
    }

    /// The names of `candidates` in the order routing_rank puts them for `strategy`.
    func ranked(_ candidates: [Candidate], strategy: String, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            SELECT c.name
              FROM unnest(\(candidates.map(\.name)), \(candidates.map { $0.eligible ? 1 : 0 }), \(candidates.map { $0.previous ? 1 : 0 }),
                          \(candidates.map { Int64($0.turns) }), \(candidates.map(\.languageLevel)), \(candidates.map(\.skillLevel)),
                          \(candidates.map(\.live)), \(candidates.map(\.maxOpen)), \(candidates.map { $0.lastAssignedAt ?? "" }),
                          \(candidates.map(\.id)))
                   AS c(name, eligible, previous, turns, language_level, skill_level, live, max_open, last_assigned_at, id)
             ORDER BY routing_rank(\(strategy)::text, c.eligible = 1, c.previous = 1, c.turns, c.language_level::smallint, c.skill_level::smallint,
                                   c.live::integer, c.max_open::integer, nullif(c.last_assigned_at, '')::timestamptz, c.id)
            """).map { try $0.decode(String.self, at: 0) }
    }

    @Test("eligible before not, then the previous agent, then the strategy's order, then load, live, longest idle, id")
    func order() async throws {
        try await RoutingFixture.with("routing_rank") { (fixture: RoutingFixture) async throws in
        let connection = fixture.connection
        let idle = Candidate(name: "idle", live: 0, id: 5)
        let busy = Candidate(name: "busy", live: 3, id: 1)
        let away = Candidate(name: "away", eligible: false, live: 0, id: 2)
        let before = Candidate(name: "before", previous: true, live: 3, id: 9)
        #expect(try await ranked([busy, away, idle], strategy: "least_loaded", on: connection) == ["idle", "busy", "away"])
        #expect(try await ranked([busy, idle, before], strategy: "sticky", on: connection) == ["before", "idle", "busy"])

        // Round robin: fewest turns first, whatever the load; turns count for no other strategy.
        let fewTurns = Candidate(name: "few turns", turns: 1, live: 3, id: 3)
        let manyTurns = Candidate(name: "many turns", turns: 7, live: 0, id: 4)
        #expect(try await ranked([manyTurns, fewTurns], strategy: "round_robin", on: connection) == ["few turns", "many turns"])
        #expect(try await ranked([fewTurns, manyTurns], strategy: "least_loaded", on: connection) == ["many turns", "few turns"])

        // Skills: the highest language plus category level first.
        let expert = Candidate(name: "expert", languageLevel: 3, skillLevel: 3, live: 3, id: 6)
        let novice = Candidate(name: "novice", languageLevel: 1, skillLevel: 1, live: 0, id: 7)
        #expect(try await ranked([novice, expert], strategy: "skills", on: connection) == ["expert", "novice"])

        // Share of capacity in use, then live conversations, then the longest since an
        // assignment (never assigned first), then the lowest id.
        let half = Candidate(name: "2 of 4", live: 2, maxOpen: 4, id: 10)
        let third = Candidate(name: "3 of 9", live: 3, maxOpen: 9, id: 11)
        let oneOfThree = Candidate(name: "1 of 3", live: 1, maxOpen: 3, id: 12)
        #expect(try await ranked([half, oneOfThree, third], strategy: "least_loaded", on: connection) == ["1 of 3", "3 of 9", "2 of 4"])
        let recent = Candidate(name: "recent", lastAssignedAt: "2026-12-02T10:00:00Z", id: 13)
        let earlier = Candidate(name: "earlier", lastAssignedAt: "2026-12-01T10:00:00Z", id: 14)
        let never = Candidate(name: "never", lastAssignedAt: nil, id: 15)
        #expect(try await ranked([recent, earlier, never], strategy: "least_loaded", on: connection) == ["never", "earlier", "recent"])
        let twin = Candidate(name: "twin", lastAssignedAt: "2026-12-02T10:00:00Z", id: 2)
        #expect(try await ranked([recent, twin], strategy: "least_loaded", on: connection) == ["twin", "recent"])
        // No capacity on the channel ranks after any share.
        let none = Candidate(name: "none", maxOpen: 0, id: 0)
        #expect(try await ranked([none, busy], strategy: "least_loaded", on: connection) == ["busy", "none"])
        }
    }
}
