import ArgumentParser
import CommandSupport
import Foundation
import Notify

/// `switchboard notify …`: what the notification worker sent, holds back or failed, and why.
struct NotifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notify",
        abstract: "Inspect what the notification worker sends.",
        subcommands: [Status.self, Explain.self, Preview.self, Retry.self, Cancel.self]
    )

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Outbox rows by channel and status, each provider's circuit, sends in the last minute, and the last day's failures by reason.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Failure reasons to list.") var limit = 10

        func run() async throws {
            let limit = self.limit
            let (counts, lastMinute, failures, providers) = try await JobsCommand.withConnection(database) { connection in
                (try NotifyAdmin.counts(on: connection), try NotifyAdmin.sent(inLast: 60, on: connection),
                 try NotifyAdmin.failures(limit: limit, on: connection), try NotifyAdmin.providers(on: connection))
            }
            if !providers.isEmpty {
                var table = TextTable(header: ["provider", "channel", "kind", "circuit", "failing", "sending", "retrying", "sent/min", "last failure"])
                for provider in providers {
                    let circuit = provider.circuit == "open" ? "open until \(Explain.format(provider.openUntil!))" : provider.circuit
                    table.rows.append([provider.name, provider.channel, provider.kind, circuit, "\(provider.failures)",
                                       "\(provider.sending)", "\(provider.waiting)", "\(provider.sentLastMinute)", provider.failures > 0 ? provider.lastFailure ?? "" : ""])
                }
                print(table.render())
                print()
            }
            guard !counts.isEmpty else {
                print("the outbox is empty")
                return
            }
            var table = TextTable(header: ["channel", "pending", "sending", "sent", "failed", "suppressed", "cancelled"])
            for channel in Set(counts.map(\.channel)).sorted() {
                let of = { (status: String) in "\(counts.first { $0.channel == channel && $0.status == status }?.count ?? 0)" }
                table.rows.append([channel, of("pending"), of("sending"), of("sent"), of("failed"), of("suppressed"), of("cancelled")])
            }
            print(table.render())
            print("sent in the last minute: \(lastMinute)")
            guard !failures.isEmpty else { return }
            print("\nfailed in the last day (switchboard notify explain ID tells one row's story):")
            for failure in failures { print("  \(failure.count)  \(failure.reason)") }
        }
    }

    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One outbox row's story: every attempt, the provider's words, and where it stands.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Outbox row id.") var id: Int64

        func run() async throws {
            let id = self.id
            guard let history = try await JobsCommand.withConnection(database, { connection in try NotifyAdmin.history(id, on: connection) }) else {
                throw CommandFailure("outbox row \(id) does not exist")
            }
            var summary = "outbox \(history.outboxID): \(history.kind) by \(history.channel), \(history.status)"
            if history.attempts > 0 { summary += " after \(history.attempts) attempt\(history.attempts == 1 ? "" : "s")" }
            if let provider = history.provider { summary += " via \(provider)" }
            print(summary)
            if let messageID = history.emailMessageID { print("Message-ID: <\(messageID)>") }
            if let id = history.providerMessageID, id != history.emailMessageID { print("provider's id: \(id)") }
            if let receipt = history.deliveryStatus { print("provider's last receipt: \(receipt)") }
            if history.status == "pending" { print("next attempt not before \(Self.format(history.sendAfter))") }
            if let error = history.lastError, history.status != "sent" { print("last error: \(error)") }
            if !history.events.isEmpty { print("steps (UTC):") }
            for event in history.events {
                let attempt = event.attempt.map { "attempt \($0)" } ?? ""
                print("  \(Self.format(event.at))  \(event.event.padding(toLength: 8, withPad: " ", startingAt: 0))  \(attempt.padding(toLength: 10, withPad: " ", startingAt: 0))  \(event.provider ?? "-")  \(event.detail ?? "")")
            }
        }

        static func format(_ date: Date) -> String {
            date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon))
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print what a customer would get: a template rendered with a real order's rows.",
            discussion: "Example: switchboard notify preview order_shipped --locale uk --order 1001")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Template kind (notify_templates.kind), such as order_shipped.") var kind: String
        @Option(help: "The language to render in; the order's customer's when left out.") var locale: String?
        @Option(help: "The order whose rows fill the template.") var order: String?
        @Option(help: "email, sms, chat or social.") var channel = "email"
        @Option(help: "Store code; the default store when left out.") var store: String?

        func validate() throws {
            guard ["email", "sms", "chat", "social"].contains(channel) else {
                throw ValidationError("--channel must be email, sms, chat or social, not \(channel)")
            }
        }

        func run() async throws {
            let (kind, channel, locale, order, store) = (self.kind, self.channel, self.locale, self.order, self.store)
            let preview: NotifyAdmin.Preview
            do {
                preview = try await JobsCommand.withConnection(database) { connection in
                    try NotifyAdmin.preview(kind: kind, channel: channel, locale: locale, orderNumber: order, store: store, on: connection)
                }
            } catch let error as NotifyError {
                throw CommandFailure(error.description)
            }
            print("To: \(preview.to ?? "(the customer has no address on \(channel))")")
            if preview.templateLocale != preview.locale {
                print("Language: \(preview.templateLocale) (no \(kind) template in \(preview.locale))")
            }
            if let subject = preview.subject { print("Subject: \(subject)") }
            if let segments = preview.smsSegments { print("SMS: \(segments) segment\(segments == 1 ? "" : "s")") }
            print()
            print(preview.body)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send failed, suppressed or cancelled outbox rows again, with a fresh retry deadline; their checks run again.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Outbox row ids.") var ids: [Int64]
        @Option(help: "Why, for the row's story.") var reason = "requeued by an operator"

        func run() async throws {
            let (ids, reason) = (self.ids, self.reason)
            let result = try await JobsCommand.withConnection(database) { try NotifyAdmin.retry(ids, reason: reason, on: $0) }
            try NotifyCommand.report(result, done: "requeued", need: "failed, suppressed or cancelled")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel pending outbox rows: they are never sent.")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "Outbox row ids.") var ids: [Int64]
        @Option(help: "Why, for the row's story.") var reason = "cancelled by an operator"

        func run() async throws {
            let (ids, reason) = (self.ids, self.reason)
            let result = try await JobsCommand.withConnection(database) { try NotifyAdmin.cancel(ids, reason: reason, on: $0) }
            try NotifyCommand.report(result, done: "cancelled", need: "pending")
        }
    }

    /// Prints what a retry or cancel did; fails when it did nothing for some row.
    static func report(_ result: NotifyAdmin.ActionResult, done: String, need: String) throws {
        if !result.done.isEmpty { print("\(done): \(result.done.map(String.init).joined(separator: ", "))") }
        for skipped in result.skipped { print("outbox \(skipped.id) is \(skipped.status), not \(need): left as it is") }
        for missing in result.missing { print("outbox \(missing) does not exist") }
        if !result.skipped.isEmpty || !result.missing.isEmpty {
            throw CommandFailure("\(result.skipped.count + result.missing.count) of \(result.done.count + result.skipped.count + result.missing.count) rows not \(done)")
        }
    }
}
