import Foundation
import Synchronization
import Postgres
import TestSupport
import Testing

@Suite("LISTEN / NOTIFY")
struct ListenerTests {
    @Test("a notification arrives after COMMIT and never after ROLLBACK")
    func commitOnly() async throws {
        struct Rollback: Error {}
        let schema = try await TestDatabase.freshSchema("notify")
        let listener = try PostgresListener(configuration: schema.configuration)
        defer { listener.stop() }
        try await listener.listen("orders")
        let events = EventReader(listener)
        let connection = try await schema.connect()
        try? await connection.transaction { connection in
            try connection.notify(channel: "orders", payload: "rolled back")
            throw Rollback()
        }
        try await connection.transaction { connection in
            try connection.notify(channel: "orders", payload: "committed")
            try connection.notify(channel: "orders", payload: "committed too")
        }
        // Delivery follows commit order: a leaked rolled-back notification would come first.
        #expect(try await events.next() == .notification(PostgresNotification(channel: "orders", payload: "committed", senderPID: connection.backendPID)))
        #expect(try await events.next() == .notification(PostgresNotification(channel: "orders", payload: "committed too", senderPID: connection.backendPID)))
        await connection.close()
        try await schema.drop()
    }

    @Test("with a handler, events go to it on the listener's thread, and reconnection is reported too")
    func handlerDelivery() async throws {
        let schema = try await TestDatabase.freshSchema("notifyhandler")
        let received = Mutex<[PostgresListenerEvent]>([])
        let listener = try PostgresListener(configuration: schema.configuration) { event in received.withLock { $0.append(event) } }
        defer { listener.stop() }
        try await listener.listen("handled")
        let connection = try await schema.connect()
        try await connection.notify(channel: "handled", payload: "one")
        let deadline = ContinuousClock.now + .seconds(10)
        // A notification the listener has not read yet dies with its session: wait for it first.
        while received.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await connection.execute("SELECT pg_terminate_backend(\(listener.backendPID))")
        while received.withLock({ $0.count < 2 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await connection.notify(channel: "handled", payload: "two")
        while received.withLock({ $0.count < 3 }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let events = received.withLock { $0 }
        #expect(events.first == .notification(PostgresNotification(channel: "handled", payload: "one", senderPID: connection.backendPID)))
        #expect(events.dropFirst().first == .reconnected)
        #expect(events.last == .notification(PostgresNotification(channel: "handled", payload: "two", senderPID: connection.backendPID)))
        await connection.close()
        try await schema.drop()
    }

    @Test("several channels, unlisten, and channel names needing quotes")
    func channels() async throws {
        let schema = try await TestDatabase.freshSchema("channels")
        let listener = try PostgresListener(configuration: schema.configuration)
        defer { listener.stop() }
        try await listener.listen("first")
        try await listener.listen("Second Channel")
        try await listener.unlisten("first")
        let events = EventReader(listener)
        let connection = try await schema.connect()
        try await connection.notify(channel: "first", payload: "not heard")
        try await connection.notify(channel: "Second Channel", payload: "héard ✓")
        guard case .notification(let notification) = try await events.next() else { Issue.record("no notification"); return }
        #expect(notification.channel == "Second Channel" && notification.payload == "héard ✓")
        await #expect(throws: PostgresError.self) { try await listener.listen(String(repeating: "x", count: 64)) }
        await connection.close()
        try await schema.drop()
    }

    @Test("pg_terminate_backend on the listener: it reconnects, re-LISTENs, says so, and delivers later notifications")
    func terminatedListener() async throws {
        let schema = try await TestDatabase.freshSchema("relisten")
        let listener = try PostgresListener(configuration: schema.configuration)
        defer { listener.stop() }
        try await listener.listen("wake")
        try await listener.listen("other")
        let events = EventReader(listener)
        let connection = try await schema.connect()
        let first = listener.backendPID
        #expect(first != 0)
        #expect(try await connection.query("SELECT pg_terminate_backend(\(first))").scalar(Bool.self))
        #expect(try await events.next() == .reconnected)
        #expect(listener.backendPID != first)
        try await connection.notify(channel: "other", payload: "after")
        guard case .notification(let notification) = try await events.next() else { Issue.record("no notification"); return }
        #expect(notification.payload == "after")
        await connection.close()
        try await schema.drop()
    }

    @Test("stop ends the event stream")
    func stopEnds() async throws {
        let schema = try await TestDatabase.freshSchema("stop")
        let listener = try PostgresListener(configuration: schema.configuration)
        try await listener.listen("x")
        listener.stop()
        let ended = try await withTimeout(.seconds(5)) {
            var iterator = listener.events.makeAsyncIterator()
            return await iterator.next() == nil
        }
        #expect(ended)
        await #expect(throws: PostgresError.self) { try await listener.listen("y") }
        try await schema.drop()
    }
}
