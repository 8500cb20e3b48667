import ArgumentParser
import Foundation
import Postgres
import Routing

/// `switchboard route …`: why conversations went where they went, and what waits.
struct RouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Explain routing decisions, show team queues, and try rule changes before enabling them.",
        subcommands: [Explain.self, Status.self, DryRun.self]
    )

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every routing decision about a conversation: rule, strategy, and why each candidate was passed over.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Conversation id.") var conversation: Int64

        func run() async throws {
            let id = conversation
            guard let explanation = try await JobsCommand.withConnection(database, { connection in
                try RoutingExplanation.load(id, on: connection)
            }) else { throw CommandFailure("conversation \(id) does not exist") }
            print(explanation.text)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per team: waiting conversations, agents online, load, SLA breaches open.")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let rows = try await JobsCommand.withConnection(database) { connection in
                try connection.query("""
                    SELECT t.name,
                           (SELECT count(*) FROM conversations c WHERE c.team_id = t.id AND c.status = 'open' AND c.agent_id IS NULL),
                           (SELECT count(*) FROM conversations c WHERE c.team_id = t.id AND c.status IN ('open', 'pending') AND c.agent_id IS NOT NULL),
                           (SELECT count(*) FROM team_members m JOIN agents a ON a.id = m.agent_id WHERE m.team_id = t.id AND a.status = 'online'),
                           (SELECT count(*) FROM team_members m WHERE m.team_id = t.id),
                           (SELECT count(*) FROM conversations c WHERE c.team_id = t.id AND c.status IN ('open', 'pending')
                               AND (c.first_response_breached_at IS NOT NULL OR c.resolution_breached_at IS NOT NULL
                                    OR c.next_response_breached_at IS NOT NULL))
                      FROM teams t ORDER BY t.name
                    """).map { row in
                    [try row.decode(String.self, at: 0)] + (try (1...5).map { index in String(try row.decode(Int.self, at: index)) })
                }
            }
            let header = ["team", "waiting", "assigned", "online", "members", "breached"]
            print(TextTable(header: header, rows: rows).render())
        }
    }

    struct DryRun: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dry-run",
            abstract: "Where the latest routed conversations would go with some rules enabled or disabled; changes nothing.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Latest routed conversations to replay.") var last = 20
        @Option(help: "A rule id to treat as enabled (repeatable).") var enable: [Int64] = []
        @Option(help: "A rule id to treat as disabled (repeatable).") var disable: [Int64] = []

        func run() async throws {
            let (last, enable, disable) = (self.last, self.enable, self.disable)
            let rows = try await JobsCommand.withConnection(database) { connection in
                try connection.query("""
                    SELECT conversation_id::text, channel, language, coalesce(category, '-'), coalesce(current_rule, '-'),
                           coalesce(current_team, '-'), coalesce(rule, '-'), coalesce(team, '-'), strategy,
                           coalesce(first_choice, '-'), CASE WHEN changed THEN 'changed' ELSE '' END
                      FROM routing_dry_run(\(last)::integer, \(enable), \(disable))
                    """).map { row in try (0..<11).map { try row.decode(String.self, at: $0) } }
            }
            print(TextTable(header: ["conversation", "channel", "lang", "category", "rule now", "team now", "rule", "team", "strategy", "first choice", ""],
                            rows: rows).render())
        }
    }
}
