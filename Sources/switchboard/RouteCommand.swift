import CommandSupport
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
                try RoutingStatus.teams(on: connection).map { team in
                    [team.team] + [team.waiting, team.assigned, team.online, team.members, team.breached].map(String.init)
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
                try RoutingStatus.dryRun(last: last, enable: enable, disable: disable, on: connection).map { outcome in
                    [String(outcome.conversationID), outcome.channel.rawValue, outcome.language, outcome.category ?? "-",
                     outcome.currentRule ?? "-", outcome.currentTeam ?? "-", outcome.rule ?? "-", outcome.team ?? "-", outcome.strategy.rawValue,
                     outcome.firstChoice ?? "-", outcome.changed ? "changed" : ""]
                }
            }
            print(TextTable(header: ["conversation", "channel", "lang", "category", "rule now", "team now", "rule", "team", "strategy", "first choice", ""],
                            rows: rows).render())
        }
    }
}
