import Foundation
import Helpdesk
import JobQueue
import Postgres
import Routing
import SwitchboardApp
import TestSupport
import Testing

@Suite("Worker roles in-process")
struct WorkerRoleTests {
    /// A routing role started the way `switchboard worker --queue route=4` starts it, in this
    /// process: it migrates, installs the SLA schedule, routes, and shuts down in order.
    @Test("a routing role migrates, installs its schedule, routes a conversation, and shuts down with its pool closed last")
    func routingRole() async throws {
        let schema = try await TestDatabase.freshSchema("role")
        var configuration = WorkerRoleConfiguration(database: schema.configuration, worker: JobWorkerConfiguration(queues: [HelpdeskJobs.routeQueue: 4]))
        configuration.routing.sweepInterval = .seconds(1)
        let role = try await WorkerRole.prepare(configuration)
        #expect(role.services.count == 3, "pool, job worker, routing reactions")
        let connection = try await schema.connect()
        #expect(try await connection.query("SELECT count(*) FROM job_schedules WHERE name = 'sla_check'").scalar(Int.self) == 1)
        let agent = try await connection.run { connection in
            try RoutingSetup.add(agents: [AgentSetup("Ada", capacity: [.chat: 1])], on: connection)[0]
        }
        let conversation = try await connection.query("""
            WITH c AS (INSERT INTO customers (store_id) VALUES (1) RETURNING id),
                 v AS (INSERT INTO conversations (store_id, customer_id, channel, language) SELECT 1, id, 'chat', 'en' FROM c RETURNING id)
            SELECT id FROM v
            """).scalar(Int64.self)
        try await connection.execute("SELECT request_route(\(conversation))")

        let group = role.serviceGroup(signals: [])
        let running = Task { try await group.run() }
        try await eventually("the conversation is assigned", within: .seconds(60)) {
            try await connection.query("SELECT agent_id FROM conversations WHERE id = \(conversation)").first?.decode(Int64?.self, at: 0) == agent
        }
        #expect(await role.pool.statistics.open > 0)
        await group.triggerGracefulShutdown()
        try await running.value
        // Connections still being closed when the group returns are closed within moments.
        try await eventually("the pool closes after the services that borrow from it", within: .seconds(10)) {
            await role.pool.statistics.open == 0
        }
        #expect(try await connection.run { try JobAdmin.registeredWorkers(on: $0) } == 0, "the worker deregistered on its way out")
        await connection.close()
        try await schema.drop()
    }
}

@Suite("Worker roles in-process: the category model")
struct IngestRoleCategoryTests {
    /// A corpus small enough to train in a moment.
    static let corpus: [(String, String)] = [
        ("delivery", "where is my parcel it has not arrived yet"), ("delivery", "my order still has not been delivered"),
        ("delivery", "when will the package arrive"), ("delivery", "the courier did not deliver my parcel today"),
        ("returns", "i want to return the shoes they are too small"), ("returns", "how do i send back an item for a refund"),
        ("returns", "please take back the damaged chair and refund me"), ("returns", "the lamp is broken i want my money back"),
        ("payment", "i was charged twice for the same order"), ("payment", "my card payment failed but money was taken"),
        ("payment", "the payment was declined but my card was charged"), ("payment", "please refund the double charge on my card"),
    ]

    @Test("an ingest role retrains when the scheduled categories_train job runs, and uses the new version at once: LISTEN announces it, not a periodic look")
    func retrainsAndListens() async throws {
        let schema = try await TestDatabase.freshSchema("role_categories")
        var configuration = WorkerRoleConfiguration(database: schema.configuration, worker: JobWorkerConfiguration(queues: [HelpdeskJobs.ingestQueue: 4]))
        // No periodic look within the test: only the announcement can bring the new version.
        configuration.ingest.categoryModelLookInterval = .seconds(3600)
        let role = try await WorkerRole.prepare(configuration)
        #expect(role.services.count == 3, "pool, job worker, category model announcements")
        let connection = try await schema.connect()
        let schedule = try #require(try await connection.query("""
            SELECT kind, queue, enabled FROM job_schedules WHERE name = 'categories_train'
            """).first)
        #expect(try schedule.decode(String.self, at: 0) == HelpdeskJobs.categoriesTrain.name)
        #expect(try schedule.decode(String.self, at: 1) == HelpdeskJobs.ingestQueue && schedule.decode(Bool.self, at: 2))
        // The test enqueues what a tick would; a real tick at minute 17 would train before the first message.
        try await connection.execute("UPDATE job_schedules SET enabled = false WHERE name = 'categories_train'")
        // This corpus instead of the starting one, and no rules: what the model says is all there is.
        try await connection.execute("DELETE FROM category_examples")
        for (category, text) in Self.corpus {
            try await connection.execute("INSERT INTO category_examples (category, language, text, source) VALUES (\(category), 'en', \(text), 'corpus')")
        }
        try await connection.execute("UPDATE category_rules SET enabled = false")
        try await connection.execute("UPDATE stores SET category_model_threshold = 0.2")

        let group = role.serviceGroup(signals: [])
        let running = Task { try await group.run() }
        var phone = 380_673_330_000
        func receive() async throws -> (category: String?, by: String?, version: Int64?) {
            phone += 1
            let id = try await connection.query("""
                INSERT INTO inbound_messages (channel, payload)
                VALUES ('sms', convert_to(json_build_object('from', \("+\(phone)")::text, 'text', 'I was charged twice, my card payment failed')::text, 'UTF8'))
                RETURNING id
                """).scalar(Int64.self)
            try await eventually("inbound message \(id) is ingested", within: .seconds(60)) {
                try await connection.query("SELECT status FROM inbound_messages WHERE id = \(id)").scalar(String.self) == "processed"
            }
            let row = try #require(try await connection.query("""
                SELECT c.category, c.category_decided_by, c.category_model_version
                  FROM inbound_messages i JOIN messages m ON m.id = i.message_id JOIN conversations c ON c.id = m.conversation_id
                 WHERE i.id = \(id)
                """).first)
            return (try row.decode(String?.self, at: 0), try row.decode(String?.self, at: 1), try row.decode(Int64?.self, at: 2))
        }
        let before = try await receive()
        #expect(before.category == nil && before.version == nil, "no model yet, no rules: uncategorised")

        // What the leader enqueues at the schedule's tick, enqueued now rather than at minute 17.
        _ = try await connection.run { try Jobs.enqueue(HelpdeskJobs.categoriesTrain, CategoriesTrainJobArguments(), JobOptions(queue: HelpdeskJobs.ingestQueue), on: $0) }
        try await eventually("the job trained and stored a model version", within: .seconds(60)) {
            try await connection.query("SELECT count(*) FROM category_models").scalar(Int.self) == 1
        }
        let version = try await connection.query("SELECT version FROM category_models").scalar(Int64.self)
        #expect(try await connection.query("SELECT examples_digest = category_examples_digest() FROM category_models").scalar(Bool.self))
        try await eventually("ingest uses the announced version", within: .seconds(30)) {
            let after = try await receive()
            return after.version == version && after.by == "model" && after.category == "payment"
        }
        // The examples did not change: the next tick trains nothing.
        let job = try #require(try await connection.run { try Jobs.enqueue(HelpdeskJobs.categoriesTrain, CategoriesTrainJobArguments(), JobOptions(queue: HelpdeskJobs.ingestQueue), on: $0) }.id)
        try await eventually("the second job completed", within: .seconds(60)) {
            // A completed job may already be deleted (the queue keeps none by default).
            try await connection.query("SELECT coalesce((SELECT state FROM jobs WHERE id = \(job)), 'completed') = 'completed'").scalar(Bool.self)
        }
        #expect(try await connection.query("SELECT count(*) FROM category_models").scalar(Int.self) == 1)

        await group.triggerGracefulShutdown()
        try await running.value
        await connection.close()
        try await schema.drop()
    }
}
