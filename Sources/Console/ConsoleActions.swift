import Foundation
import Helpdesk
import JobQueue
import Notify
import Postgres

/// What an admin can do from the console. Each is the same call the CLI makes, run with its
/// audit record in one transaction.
enum ConsoleAction: String, CaseIterable {
    case pauseQueue = "pause_queue"
    case resumeQueue = "resume_queue"
    case retryDead = "retry_dead"
    case retryInbound = "retry_inbound"
    case retryRejected = "retry_rejected"
    case retryOutbox = "retry_outbox"

    /// The tab that shows what the action changed.
    var tab: ConsolePage.Tab {
        switch self {
        case .pauseQueue, .resumeQueue, .retryDead: .queues
        case .retryInbound, .retryRejected: .inbound
        case .retryOutbox: .outbox
        }
    }

    /// Does it; returns what it came to, in words, and what it was done to.
    func perform(_ form: ConsoleForm, by user: ConsoleUser,
                 on connection: isolated PostgresConnection) throws -> (summary: String, target: [String: String]) {
        switch self {
        case .pauseQueue:
            let queue = try Self.queue(form)
            let changed = try JobAdmin.pause(queue: queue, on: connection)
            return (changed ? "Paused queue \(queue)" : "Queue \(queue) was already paused", ["queue": queue])
        case .resumeQueue:
            let queue = try Self.queue(form)
            let changed = try JobAdmin.resume(queue: queue, on: connection)
            return (changed ? "Resumed queue \(queue)" : "Queue \(queue) was not paused", ["queue": queue])
        case .retryDead:
            let queue = try Self.queue(form)
            let count = try JobAdmin.retryDead(queue: queue, on: connection)
            return ("Made \(count) dead job\(count == 1 ? "" : "s") of queue \(queue) available again", ["queue": queue])
        case .retryInbound:
            let id = try Self.id(form)
            do {
                try InboundAdmin.retry(id, on: connection)
            } catch let error as PostgresError where error.sqlState == "P0002" || error.sqlState == "55000" {
                throw ConsoleRefusal(.conflict, error.message)
            }
            return ("Retried inbound message \(id)", ["inbound_id": String(id)])
        case .retryRejected:
            let count = try InboundAdmin.retryRejected(code: nil, on: connection)
            return ("Retried \(count) rejected inbound message\(count == 1 ? "" : "s")", [:])
        case .retryOutbox:
            let id = try Self.id(form)
            let reason = "requeued from the console by \(user.name.isEmpty ? "an admin" : user.name)"
            let result = try NotifyAdmin.retry([id], reason: reason, on: connection)
            if let skipped = result.skipped.first {
                throw ConsoleRefusal(.conflict, "Outbox message \(id) is \(skipped.status): only failed, suppressed or cancelled messages can be sent again")
            }
            if !result.missing.isEmpty { throw ConsoleRefusal(.conflict, "There is no outbox message \(id)") }
            return ("Queued outbox message \(id) to be sent again", ["outbox_id": String(id)])
        }
    }

    private static func queue(_ form: ConsoleForm) throws -> String {
        guard let queue = form.queue, !queue.isEmpty, queue.count <= 100 else {
            throw ConsoleRefusal(.badRequest, "The form names no queue (field queue, 1–100 characters)")
        }
        return queue
    }

    private static func id(_ form: ConsoleForm) throws -> Int64 {
        guard let text = form.id, let id = Int64(text), id > 0 else {
            throw ConsoleRefusal(.badRequest, "The form names no row (field id, a positive number)")
        }
        return id
    }
}

/// An action the console will not take, with the reason shown to the admin.
struct ConsoleRefusal: Error {
    enum Kind { case badRequest, conflict, forbidden }
    let kind: Kind
    let message: String
    init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
