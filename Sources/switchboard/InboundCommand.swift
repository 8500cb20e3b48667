import CommandSupport
import ArgumentParser
import Foundation
import Helpdesk
import Postgres

/// `switchboard inbound …`: what happened to inbound messages, and re-processing them.
struct InboundCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbound",
        abstract: "Inspect inbound messages and re-process rejected ones.",
        subcommands: [Status.self, Show.self, Retry.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Inbound messages by status, and the latest rejections with their reasons.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Rejections to list.") var limit = 10

        func run() async throws {
            let limit = self.limit
            let (counts, rejected) = try await JobsCommand.withConnection(database) { connection in
                (try InboundAdmin.counts(on: connection), try InboundAdmin.rejected(limit: limit, on: connection))
            }
            print(InboundStatus.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: "   "))
            guard !rejected.isEmpty else { return }
            print("\nlatest rejections (retry with: switchboard inbound retry ID):")
            for row in rejected { print("  \(row.id)  \(row.channel ?? "-")  \(row.rejectCode ?? "")  \(row.rejectReason ?? "")") }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One inbound message's status (never its payload).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Inbound message id.") var id: Int64

        func run() async throws {
            let id = self.id
            guard let row = try await JobsCommand.withConnection(database, { connection in try InboundAdmin.summary(id, on: connection) }) else {
                throw CommandFailure("inbound message \(id) does not exist")
            }
            print("inbound \(row.id): \(row.status.rawValue), channel \(row.channel ?? "-"), external id \(row.externalID ?? "-"), received \(row.receivedAt)")
            if let code = row.rejectCode { print("rejected: \(code): \(row.rejectReason ?? "")") }
            if let conversation = row.conversationID { print("conversation \(conversation)") }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Process rejected inbound messages again (after a rule or settings fix).",
            discussion: "Marks each row received and enqueues an ingest job; a running ingest worker picks it up. Rows that became messages are refused.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Inbound message ids.") var ids: [Int64] = []
        @Flag(help: "Every rejected message.") var rejected = false
        @Option(help: "With --rejected: only this rejection code.") var code: String?

        func validate() throws {
            if ids.isEmpty == !rejected { throw ValidationError("give inbound message ids, or --rejected") }
            if code != nil && !rejected { throw ValidationError("--code goes with --rejected") }
        }

        func run() async throws {
            let (ids, code, all) = (self.ids, self.code, rejected)
            let count = try await JobsCommand.withConnection(database) { connection in
                if all { return try InboundAdmin.retryRejected(code: code, on: connection) }
                for id in ids { try InboundAdmin.retry(id, on: connection) }
                return ids.count
            }
            print("\(count) inbound message(s) queued for ingest again")
        }
    }
}
