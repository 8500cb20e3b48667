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
