import Foundation
import Helpdesk
import JobQueue
import Migrations
import Postgres
import Routing
import SwitchboardApp
import Testing
import TestSupport

/// The process kinds' roles (0029, sql/definitions/roles.sql): a login role in each, connected to
/// for real, doing what its process does and refused what it must not.
@Suite("Database roles: each process kind may do what it needs and nothing else")
struct DatabaseRolesTests {
    @Test("every table and view of the schema is in exactly one of roles.sql's lists")
    func everyRelationListed() async throws {
        try await TestDatabase.withConnection("rolelists") { connection, schema in
            try await Migrator().migrate(on: connection)
            let relations = try await connection.query("""
                SELECT c.relname::text FROM pg_class c
                 WHERE c.relnamespace = \(schema.name)::regnamespace AND c.relkind IN ('r', 'v', 'p', 'm') ORDER BY 1
                """).map { try $0.decode(String.self, at: 0) }
            let listed = try await connection.query("SELECT relation FROM switchboard_role_lists() ORDER BY 1")
                .map { try $0.decode(String.self, at: 0) }
            #expect(relations.count > 60)
            #expect(Set(relations).subtracting(listed).isEmpty, "not in any list: \(Set(relations).subtracting(listed).sorted())")
            #expect(Set(listed).subtracting(relations).isEmpty, "listed but not in the schema: \(Set(listed).subtracting(relations).sorted())")
            #expect(listed.count == Set(listed).count, "listed twice: \(listed.filter { name in listed.filter { $0 == name }.count > 1 })")
        }
    }

    @Test("as each role: a worker ingests, routes and begins a notice; serve, admin and reporting do their part; none alters a table or reads what it must not")
    func eachRole() async throws {
        try await TestDatabase.withConnection("roles") { owner, schema in
            try await Migrator().migrate(on: owner)
            // Again, in case another test's migration created the roles while this one checked for them.
            #expect(try await owner.query("SELECT switchboard_grant_roles()").scalar(Int.self) == 4)
            let logins = try await Logins.make(schema, owner: owner)
            var failure: (any Error)?
            do { try await Self.exercise(owner: owner, logins: logins) } catch { failure = error }
            await logins.drop(owner: owner)
            if let failure { throw failure }
        }
    }

    @Test("docs/deploy.md's role examples run as written, and make logins in each kind's role")
    func docsExamples() async throws {
        try await TestDatabase.withConnection("deploydocs") { connection, _ in
            try await Migrator().migrate(on: connection)
            let blocks = try sqlExamples(inDocs: "deploy.md")
            #expect(blocks.count == 2)
            let logins = ["sb_worker": "switchboard_worker", "sb_serve": "switchboard_serve", "sb_admin_olga": "switchboard_admin",
                          "sb_keda": "switchboard_reporting"]
            var failure: (any Error)?
            do {
                for block in blocks { _ = try await connection.simpleQuery(unsafeSQL: block) }
                for (login, group) in logins {
                    #expect(try await connection.query("SELECT pg_has_role(\(login), \(group), 'member')").scalar(Bool.self), "\(login)")
                }
            } catch { failure = error }
            // Roles are the cluster's: gone again, whatever happened.
            for login in logins.keys { _ = try? await connection.simpleQuery(unsafeSQL: "DROP ROLE IF EXISTS \(login)") }
            if let failure { throw failure }
        }
    }

    /// Each role doing its part, and refused what it must not.
    static func exercise(owner: PostgresConnection, logins: Logins) async throws {
        // The admin sets up a team and an agent (rules and settings are theirs).
        let admin = try await PostgresConnection.connect(logins.configuration(.admin))
        let agent = try await admin.run { connection in
            try RoutingSetup.add(agents: [AgentSetup("Ada", capacity: [.sms: 2])], on: connection)[0]
        }
        try await admin.execute("UPDATE notify_settings SET fallback_from = 'shop@example.test'")
        #expect(try await admin.query("SELECT count(*) FROM service_metrics_daily").scalar(Int.self) >= 0)
        await Self.refused(admin, [
            "SELECT name FROM customers",
            "SELECT body_text FROM messages",
            "INSERT INTO jobs (queue, kind, args) VALUES ('ingest', 'x', '{}')",
            "ALTER TABLE routing_rules ADD COLUMN extra int"])
        await admin.close()

        // An integration inserts a message and an order event.
        let integration = try await PostgresConnection.connect(logins.configuration(.integration))
        try await integration.execute("""
            INSERT INTO inbound_messages (channel, external_id, payload) VALUES ('sms', 'role-1', convert_to(
              '{"from": "+380671234567", "to": "+380441234567", "text": "Where is my order 1001?"}', 'UTF8'))
            """)
        try await integration.execute("""
            INSERT INTO order_events (order_number, kind, payload)
            VALUES ('R-1', 'created', '{"customer": {"email": "ola@example.test"}, "total": 20, "currency": "EUR"}')
            """)
        await Self.refused(integration, ["SELECT count(*) FROM inbound_messages"])
        await integration.close()

        // Workers, as the worker role: every queue, in this process.
        var configuration = WorkerRoleConfiguration(
            database: try logins.configuration(.worker),
            worker: JobWorkerConfiguration(queues: [HelpdeskJobs.ingestQueue: 2, HelpdeskJobs.routeQueue: 2,
                                                    HelpdeskJobs.notifyQueue: 2, HelpdeskJobs.surveysQueue: 2]))
        configuration.migrate = false
        configuration.routing.sweepInterval = .seconds(1)
        let role = try await WorkerRole.prepare(configuration)
        let group = role.serviceGroup(signals: [])
        let running = Task { try await group.run() }
        try await eventually("the message is ingested and routed to the agent", diagnose: { "failed jobs: " + (try await Self.jobErrors(owner)) }) {
            try await owner.query("""
                SELECT c.agent_id FROM inbound_messages i JOIN messages m ON m.inbound_id = i.id JOIN conversations c ON c.id = m.conversation_id
                 WHERE i.external_id = 'role-1' AND i.status = 'processed'
                """).first?.decode(Int64?.self, at: 0) == agent
        }
        try await eventually("the order's confirmation is begun and waits for a provider", diagnose: { "failed jobs: " + (try await Self.jobErrors(owner)) }) {
            try await owner.query("""
                SELECT count(*) FROM outbox o JOIN notify_events e ON e.outbox_id = o.id
                 WHERE o.template_kind = 'order_confirmation' AND e.event = 'deferred' AND e.detail LIKE 'no enabled provider%'
                """).scalar(Int.self) > 0
        }
        await group.triggerGracefulShutdown()
        try await running.value
        let failures = try await Self.jobErrors(owner)
        #expect(failures.isEmpty, "jobs failed under the worker role: \(failures)")

        let worker = try await PostgresConnection.connect(logins.configuration(.worker))
        await Self.refused(worker, [
            "ALTER TABLE customers ADD COLUMN extra int",
            "SELECT * FROM intake_integrations",
            "UPDATE routing_rules SET enabled = false",
            "UPDATE agents SET email = 'someone@example.test'",
            "DELETE FROM switchboard_migrations",
            "CREATE TABLE mine (id int)"])
        await worker.close()

        // serve: the intake's integrations and rows, the probes' ledger; not the settings.
        let serve = try await PostgresConnection.connect(logins.configuration(.serve))
        #expect(try await serve.query("SELECT count(*) FROM intake_integrations").scalar(Int.self) >= 0)
        #expect(try await serve.query("SELECT count(*) FROM switchboard_migrations").scalar(Int.self) > 0)
        await Self.refused(serve, [
            "UPDATE stores SET name = 'Mine'",
            "DROP TABLE outbox"])
        await serve.close()

        // Reporting: the metrics and the queue's depth, and no personal data.
        let reporting = try await PostgresConnection.connect(logins.configuration(.reporting))
        #expect(try await reporting.query("SELECT count(*) FROM service_metrics_daily").scalar(Int.self) > 0)
        #expect(try await reporting.query("SELECT count(*) FROM survey_metrics_daily").scalar(Int.self) >= 0)
        #expect(try await reporting.query("SELECT count(*) FROM sla_attainment").scalar(Int.self) >= 0)
        #expect(try await reporting.query("SELECT conversations FROM service_metrics(now()::date - 1, now()::date + 1)").scalar(Int.self) == 1)
        #expect(try await reporting.query("SELECT count(*) FROM service_backlog(1, now()::date - 1, now()::date)").scalar(Int.self) == 2)
        #expect(try await reporting.query("SELECT count(*) FROM survey_scores(now()::date - 1, now()::date + 1)").scalar(Int.self) == 1)
        #expect(try await reporting.query("SELECT queue_available('ingest', 10)").scalar(Int.self) == 0)
        await Self.refused(reporting, [
            "SELECT name FROM customers", "SELECT value FROM customer_identities", "SELECT body_text FROM messages",
            "SELECT body_text FROM outbox", "SELECT subject FROM conversations", "SELECT comment FROM surveys",
            "SELECT payload FROM inbound_messages", "SELECT email FROM agents", "SELECT * FROM conversations",
            "SELECT count(*) FROM jobs"])
        await reporting.close()
    }

    /// Each of `statements` fails for lack of privilege (42501), each in a statement of its own.
    static func refused(_ connection: PostgresConnection, _ statements: [String], sourceLocation: SourceLocation = #_sourceLocation) async {
        for sql in statements {
            do {
                _ = try await connection.simpleQuery(unsafeSQL: sql)
                Issue.record("allowed: \(sql)", sourceLocation: sourceLocation)
            } catch let error as PostgresError {
                #expect(error.code == .insufficientPrivilege, "\(sql): \(error)", sourceLocation: sourceLocation)
            } catch {
                Issue.record("\(sql): \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    /// What the jobs that failed said, when any did.
    static func jobErrors(_ owner: PostgresConnection) async throws -> String {
        try await owner.query("""
            SELECT coalesce(string_agg(DISTINCT kind || ': ' || (errors -> -1 ->> 'error'), '; '), '') FROM jobs
             WHERE jsonb_array_length(errors) > 0 OR state = 'dead'
            """).scalar(String.self)
    }
}

/// A login role in each process kind's group, for one test schema; dropped afterwards.
struct Logins: Sendable {
    enum Kind: String, CaseIterable {
        case worker, serve, admin, reporting, integration
    }

    let schema: TestSchema
    let suffix: String
    static let password = "role-test-password"

    static func make(_ schema: TestSchema, owner: PostgresConnection) async throws -> Logins {
        let logins = Logins(schema: schema, suffix: schema.name)
        for kind in Kind.allCases {
            try await owner.simpleQuery(unsafeSQL: """
                CREATE ROLE \(PostgresQuery.quoteIdentifier(logins.name(kind))) LOGIN PASSWORD '\(password)' IN ROLE switchboard_\(kind.rawValue)
                """)
        }
        return logins
    }

    func name(_ kind: Kind) -> String { "\(kind.rawValue)_\(suffix)" }

    func configuration(_ kind: Kind) throws -> PostgresConfiguration {
        try schema.configuration.withCredentials(user: name(kind), password: Self.password)
    }

    func drop(owner: PostgresConnection) async {
        for kind in Kind.allCases {
            _ = try? await owner.simpleQuery(unsafeSQL: "DROP ROLE IF EXISTS \(PostgresQuery.quoteIdentifier(name(kind)))")
        }
    }
}
