import AsyncHTTPClient
import Console
import Foundation
import Migrations
import NIOCore
import NIOHTTP1
import Postgres
import Server
import Testing
import TestSupport

@Suite("The operator console: sign-in, roles, CSRF, pages and audited actions")
struct ConsoleTests {
    static let adminToken = "admin-token-\(UUID().uuidString)"
    static let readerToken = "reader-token-\(UUID().uuidString)"

    struct Page {
        let status: Int
        let html: String
        let headers: HTTPHeaders
        var location: String? { headers.first(name: "Location") }
    }

    /// A client that does not follow redirects: the tests look at each answer.
    static func request(_ url: String, post form: String? = nil, authorization: String? = basic("ops", adminToken),
                        headers: [(String, String)] = []) async throws -> Page {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Connection", value: "close")
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let form {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(30))
        return Page(status: Int(response.status.code), html: String(buffer: try await response.body.collect(upTo: 1 << 22)), headers: response.headers)
    }

    static func basic(_ user: String, _ token: String) -> String {
        "Basic " + Data("\(user):\(token)".utf8).base64EncodedString()
    }

    /// The CSRF token of the first form on `html`.
    static func formToken(_ html: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(html.range(of: marker)).upperBound
        return String(html[start...].prefix { $0 != "\"" })
    }

    static func withConsole(_ label: String, prefix: String = "/console", configure: (inout ServerConfiguration) -> Void = { _ in },
                            _ body: (ServerFixture) async throws -> Void) async throws {
        try await ServerFixture.with(label, configure: {
            $0.console = try! ConsoleConfiguration(pathPrefix: prefix, adminToken: adminToken, readerToken: readerToken)
            configure(&$0)
        }, body)
    }

    /// Something on every tab: jobs in two queues (three dead), an hour's throughput, a worker
    /// that leads, rejected inbound rows and failed outbox rows.
    static func seed(_ f: ServerFixture) async throws {
        try await f.connection.execute("""
            INSERT INTO jobs (queue, kind, state, finished_at) SELECT 'mail', 'send', 'dead', now() FROM generate_series(1, 3)
            """)
        try await f.connection.execute("""
            INSERT INTO jobs (queue, kind, state, run_at) SELECT 'mail', 'send', 'available', now() - interval '95 seconds' FROM generate_series(1, 4)
            """)
        try await f.connection.execute("INSERT INTO jobs (queue, kind, state, run_at) VALUES ('reports', 'daily', 'scheduled', now() + interval '1 hour')")
        try await f.connection.execute("""
            INSERT INTO job_throughput (bucket, queue, worker_id, completed, failed)
            SELECT date_trunc('minute', now()) - make_interval(mins => m), 'mail', 1, 40 + m, m % 7
              FROM generate_series(0, 58) AS m
            """)
        let worker = try await f.connection.query("""
            INSERT INTO job_workers (host, pid, queues) VALUES ('worker-a', 4242, '{"mail": 8, "ingest": 4}') RETURNING id
            """).scalar(Int64.self)
        try await f.connection.execute("UPDATE job_leader SET worker_id = \(worker), elected_at = now(), expires_at = now() + interval '1 minute'")
        try await f.connection.execute("""
            INSERT INTO inbound_messages (channel, external_id, payload, status, reject_code, reject_reason, processed_at)
            VALUES ('sms', 'SM1', '\\x7b7d', 'rejected', 'missing_sender', 'the message has no sender address or phone number', now()),
                   ('email', 'e2', '\\x00', 'rejected', 'unparseable', 'the email could not be parsed: no header section', now())
            """)
        let customer = try await f.connection.query("INSERT INTO customers (store_id, name) VALUES (1, 'C') RETURNING id").scalar(Int64.self)
        try await f.connection.execute("""
            INSERT INTO outbox (store_id, customer_id, kind, purpose, channel, locale, body_text, idempotency_key, status, last_error, attempts)
            VALUES (1, \(customer), 'order_update', 'order_updates', 'email', 'en', 'Hi', 'c1', 'failed', '550 5.1.1 mailbox unavailable', 3),
                   (1, \(customer), 'reply', 'reply', 'sms', 'en', 'Hi', 'c2', 'sent', NULL, 1)
            """)
    }

    /// The last 30 days of a small shop, for the report's screenshot: 240 conversations among two
    /// teams and three agents, answered within minutes to a day, most resolved, some reopened, a
    /// few by the bot; CSAT and NPS answers. Random, from a fixed seed.
    static func month(_ f: ServerFixture) async throws {
        try await f.connection.execute("SELECT setseed(0.42)")
        try await f.connection.execute("""
            INSERT INTO teams (name) VALUES ('Returns'), ('Delivery');
            """)
        try await f.connection.execute("""
            INSERT INTO agents (email, name) VALUES ('iryna@shop.example', 'Iryna'), ('tomasz@shop.example', 'Tomasz'), ('lina@shop.example', 'Lina')
            """)
        try await f.connection.execute("""
            INSERT INTO conversations (store_id, customer_id, channel, language, status, created_at, resolved_at, reopen_count, team_id, agent_id,
                                       first_response_due_at)
            SELECT 1, (SELECT min(id) FROM customers), (ARRAY['email', 'chat', 'sms'])[1 + (n % 3)], 'en',
                   CASE WHEN n % 9 = 0 THEN 'open' ELSE 'resolved' END, at, CASE WHEN n % 9 = 0 THEN NULL ELSE at + interval '5 hours' END,
                   CASE WHEN n % 13 = 0 THEN 1 ELSE 0 END,
                   (SELECT id FROM teams WHERE name = (ARRAY['Returns', 'Delivery'])[1 + (n % 2)]),
                   -- Agents on the resolved only: an open conversation would take a place of their capacity.
                   CASE WHEN n % 9 <> 0 THEN (SELECT id FROM agents WHERE name = (ARRAY['Iryna', 'Tomasz', 'Lina'])[1 + (n % 3)]) END,
                   at + interval '1 hour'
              FROM generate_series(1, 240) AS n, LATERAL (SELECT now() - (n * interval '3 hours') AS at) t
            """)
        try await f.connection.execute("""
            INSERT INTO messages (store_id, conversation_id, direction, author_kind, channel, body_text, created_at)
            SELECT 1, c.id, 'inbound', 'customer', c.channel, 'question', c.created_at FROM conversations c WHERE c.team_id IS NOT NULL
            UNION ALL
            SELECT 1, c.id, 'outbound', CASE WHEN c.id % 11 = 0 THEN 'bot' ELSE 'agent' END, c.channel, 'answer',
                   c.created_at + random() * interval '2 hours' FROM conversations c WHERE c.team_id IS NOT NULL
            """)
        try await f.connection.execute("""
            INSERT INTO surveys (store_id, customer_id, conversation_id, kind, status, due_at, queued_at, rating, answered_at, answer_source)
            SELECT 1, c.customer_id, c.id, k.kind, 'answered', c.resolved_at, c.resolved_at,
                   CASE k.kind WHEN 'csat' THEN 1 + floor(random() ^ 0.4 * 5)::int ELSE floor(random() ^ 0.5 * 11)::int END,
                   c.resolved_at, 'link'
              FROM conversations c, LATERAL (SELECT CASE WHEN c.id % 4 = 0 THEN 'nps' ELSE 'csat' END AS kind) k
             WHERE c.resolved_at IS NOT NULL AND c.id % 2 = 0
            """)
    }

    @Test("Without the token, with a wrong one, or with the console off, nothing is shown")
    func signIn() async throws {
        try await Self.withConsole("console-auth") { f in
            let none = try await Self.request(f.base + "/console/queues", authorization: nil)
            #expect(none.status == 401 && none.headers.first(name: "WWW-Authenticate")?.hasPrefix("Basic realm=") == true)
            #expect(!none.html.contains("<table"))
            let wrong = try await Self.request(f.base + "/console/queues", authorization: Self.basic("ops", Self.adminToken + "x"))
            #expect(wrong.status == 401)
            let bearer = try await Self.request(f.base + "/console/queues", authorization: "Bearer \(Self.readerToken)")
            #expect(bearer.status == 200 && bearer.html.contains("read-only"))
            let root = try await Self.request(f.base + "/console")
            #expect(root.status == 303 && root.location == "/console/queues")
            let unknown = try await Self.request(f.base + "/console/nothing")
            #expect(unknown.status == 404 && unknown.html.contains("Queues, Workers, Inbound, Outbox, Report, Audit"))
            #expect(bearer.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
            #expect(bearer.headers.first(name: "Cache-Control") == "no-store")
        }
        try await ServerFixture.with("console-off") { f in
            let off = try await Self.request(f.base + "/console/queues")
            #expect(off.status == 404 && off.html.contains("SWITCHBOARD_CONSOLE_ADMIN_TOKEN"))
        }
    }

    @Test("Every tab shows what the tables hold; only the admin sees action buttons")
    func pages() async throws {
        try await Self.withConsole("console-pages") { f in
            try await Self.seed(f)
            let queues = try await Self.request(f.base + "/console/queues")
            #expect(queues.status == 200)
            #expect(queues.html.contains("<strong>mail</strong>") && queues.html.contains("<strong>reports</strong>"))
            #expect(!queues.html.contains(#"class="banner"#) && !queues.html.contains(">nil<"), "no notice before any action")
            #expect(queues.html.contains("Retry 3 dead") && queues.html.contains(#"<span class="bad">3</span>"#))
            #expect(queues.html.contains(">1 min<"), "the oldest available job waited 95 s")
            let completed = try await f.int("SELECT sum(completed)::int FROM job_throughput WHERE queue = 'mail'")
            #expect(queues.html.contains("\(Self.grouped(completed)) completed"))
            #expect(queues.html.components(separatedBy: "<rect ").count - 1 >= 59, "a bar per minute with jobs")
            #expect(!queues.html.lowercased().contains("<script"))

            let reader = try await Self.request(f.base + "/console/queues", authorization: Self.basic("viewer", Self.readerToken))
            #expect(reader.status == 200 && reader.html.contains("<strong>mail</strong>"))
            #expect(!reader.html.contains("<form") && !reader.html.contains("csrf"))

            let workers = try await Self.request(f.base + "/console/workers")
            #expect(workers.html.contains("<strong>worker-a</strong><span class=\"tag leader\">leader</span>"))
            #expect(workers.html.contains("ingest × 4, mail × 8") && workers.html.contains(">4242<"))

            let inbound = try await Self.request(f.base + "/console/inbound")
            #expect(inbound.html.contains("the message has no sender address or phone number") && inbound.html.contains("<code>unparseable</code>"))
            #expect(inbound.html.contains("Retry all 2 rejected"))

            let outbox = try await Self.request(f.base + "/console/outbox")
            #expect(outbox.html.contains("550 5.1.1 mailbox unavailable") && outbox.html.contains("Send again"))
            #expect(outbox.html.contains(#"<span class="bad">1</span>"#))

            let audit = try await Self.request(f.base + "/console/audit")
            #expect(audit.status == 200 && audit.html.contains("No action has been taken"))
        }
    }

    static func grouped(_ n: Int) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: n))!
    }

    @Test("Run as a login of switchboard_serve: probes, signed intake, every console tab and an audited action")
    func asServeRole() async throws {
        // The process kinds' roles exist once a schema of this cluster has been migrated.
        try await TestDatabase.withConnection("serve-role-setup") { connection, _ in try await Migrator().migrate(on: connection) }
        let login = "serve_role_\(UInt32.random(in: .min ... .max))"
        let cluster = try await PostgresConnection.connect(try PostgresConfiguration(try await TestDatabase.connectionString()))
        try await cluster.simpleQuery(unsafeSQL: "CREATE ROLE \(login) LOGIN PASSWORD 'serve-role' IN ROLE switchboard_serve")
        var failure: (any Error)?
        do {
            try await Self.withConsole("serve-role", configure: {
                $0.database = (try? $0.database.withCredentials(user: login, password: "serve-role")) ?? $0.database
            }) { f in
                #expect(try await f.get("/readyz").status == 200)
                let message = try await f.post("/v1/inbound/sms", body: json(["from": "+380671234567", "text": "Hello"]),
                                               headers: [("Switchboard-External-Id", "role-1")])
                #expect(message.status == 202, "\(String(decoding: message.body, as: UTF8.self))")
                let event = try await f.post("/v1/order-events", body: json(["order_number": "1001", "kind": "created"]))
                #expect(event.status == 202, "\(String(decoding: event.body, as: UTF8.self))")
                for tab in ["queues", "workers", "inbound", "outbox", "report", "audit"] {
                    #expect(try await Self.request(f.base + "/console/\(tab)").status == 200, "\(tab)")
                }
                let token = try Self.formToken(try await Self.request(f.base + "/console/queues").html)
                let paused = try await Self.request(f.base + "/console/act", post: "action=pause_queue&queue=ingest&csrf=\(token)")
                #expect(paused.status == 303)
                #expect(try await f.int("SELECT count(*) FROM audit_events WHERE kind = 'console_action'") == 1)
                // The server's own sessions are the login's, not the owner's.
                #expect(try await f.int("SELECT count(*)::int FROM pg_stat_activity WHERE usename = '\(login)'") > 0)
            }
        } catch { failure = error }
        _ = try? await cluster.simpleQuery(unsafeSQL: "DROP ROLE IF EXISTS \(login)")
        await cluster.close()
        if let failure { throw failure }
    }

    @Test("An admin's action needs the page's CSRF token, is refused from another site or to a reader, and is audited")
    func actions() async throws {
        try await Self.withConsole("console-act") { f in
            try await Self.seed(f)
            let page = try await Self.request(f.base + "/console/queues")
            let token = try Self.formToken(page.html)

            let noToken = try await Self.request(f.base + "/console/act", post: "action=pause_queue&queue=mail")
            #expect(noToken.status == 403 && noToken.html.contains("expired"))
            // One character changed, always to a different one (a fixed "00" would now and then be the token itself).
            let changed = token.index(token.startIndex, offsetBy: 11)
            let forgedToken = token.replacingCharacters(in: changed...changed, with: token[changed] == "0" ? "1" : "0")
            let forged = try await Self.request(f.base + "/console/act", post: "action=pause_queue&queue=mail&csrf=\(forgedToken)")
            #expect(forged.status == 403)
            let crossSite = try await Self.request(f.base + "/console/act", post: "action=pause_queue&queue=mail&csrf=\(token)",
                                                   headers: [("Sec-Fetch-Site", "cross-site")])
            #expect(crossSite.status == 403)
            let reader = try await Self.request(f.base + "/console/act", post: "action=pause_queue&queue=mail&csrf=\(token)",
                                                authorization: Self.basic("viewer", Self.readerToken))
            #expect(reader.status == 403 && reader.html.contains("Read-only"))
            #expect(try await f.int("SELECT count(*) FROM job_queue_pauses") == 0)
            #expect(try await f.int("SELECT count(*) FROM audit_events WHERE kind = 'console_action'") == 0)

            let paused = try await Self.request(f.base + "/console/act", post: "action=pause_queue&queue=mail&csrf=\(token)")
            #expect(paused.status == 303)
            let location = try #require(paused.location)
            #expect(location.hasPrefix("/console/queues?done="))
            #expect(try await f.int("SELECT count(*) FROM job_queue_pauses WHERE queue = 'mail'") == 1)
            let shown = try await Self.request(f.base + location)
            #expect(shown.html.contains("Paused queue mail") && shown.html.contains(#"<span class="tag paused">paused</span>"#))
            #expect(shown.html.contains("Resume"))

            let retried = try await Self.request(f.base + "/console/act", post: "action=retry_dead&queue=mail&csrf=\(token)")
            #expect(retried.status == 303)
            #expect(try await f.int("SELECT count(*) FROM jobs WHERE queue = 'mail' AND state = 'dead'") == 0)

            let sms = try await f.int("SELECT id::int FROM inbound_messages WHERE external_id = 'SM1'")
            let inbound = try await Self.request(f.base + "/console/act", post: "action=retry_inbound&id=\(sms)&csrf=\(token)")
            #expect(inbound.status == 303 && inbound.location?.hasPrefix("/console/inbound?done=") == true)
            #expect(try await f.int("SELECT count(*) FROM inbound_messages WHERE id = \(sms) AND status = 'received'") == 1)
            // A row that became a message cannot be retried: refused with the database's reason, nothing audited.
            let processed = try await f.connection.query("""
                INSERT INTO inbound_messages (channel, payload, status, processed_at) VALUES ('chat', '\\x7b7d', 'processed', now()) RETURNING id
                """).scalar(Int64.self)
            let refused = try await Self.request(f.base + "/console/act", post: "action=retry_inbound&id=\(processed)&csrf=\(token)")
            #expect(refused.status == 409 && refused.html.contains("is processed; only rejected or unprocessed messages can be retried"))
            #expect(refused.html.contains(#"<h1>Inbound messages</h1>"#), "the tab, with the reason above it")

            let failed = try await f.int("SELECT id::int FROM outbox WHERE status = 'failed'")
            let outbox = try await Self.request(f.base + "/console/act", post: "action=retry_outbox&id=\(failed)&csrf=\(token)")
            #expect(outbox.status == 303)
            #expect(try await f.int("SELECT count(*) FROM outbox WHERE id = \(failed) AND status = 'pending'") == 1)
            let sent = try await f.int("SELECT id::int FROM outbox WHERE status = 'sent'")
            let notFailed = try await Self.request(f.base + "/console/act", post: "action=retry_outbox&id=\(sent)&csrf=\(token)")
            #expect(notFailed.status == 409 && notFailed.html.contains("is sent"))

            let bad = try await Self.request(f.base + "/console/act", post: "action=retry_outbox&id=x&csrf=\(token)")
            #expect(bad.status == 400 && bad.html.contains("field id"))
            let unknown = try await Self.request(f.base + "/console/act", post: "action=drop_everything&csrf=\(token)")
            #expect(unknown.status == 400)

            let audited = try await f.connection.query("""
                SELECT detail->>'action', detail->>'user', detail->>'role' FROM audit_events WHERE kind = 'console_action' ORDER BY id
                """).map { [try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1), try $0.decode(String.self, at: 2)] }
            #expect(audited == [["pause_queue", "ops", "admin"], ["retry_dead", "ops", "admin"], ["retry_inbound", "ops", "admin"],
                                ["retry_outbox", "ops", "admin"]])
            let audit = try await Self.request(f.base + "/console/audit", authorization: Self.basic("viewer", Self.readerToken))
            #expect(audit.html.contains("Made 3 dead jobs of queue mail available again") && audit.html.contains("ops (admin)"))
            // docs/operations.md's query of the audit, as written.
            let query = try #require(try sqlExamples(inDocs: "operations.md").first { $0.contains("console_action") })
            let whats = try await f.connection.query(PostgresQuery(unsafeSQL: query)).map { try $0.decode(String.self, "what") }
            #expect(whats.count == 4 && whats.first == "Queued outbox message \(failed) to be sent again" && whats.last == "Paused queue mail")
        }
    }

    @Test("Mounted under another path prefix, every link and form uses it")
    func pathPrefix() async throws {
        try await Self.withConsole("console-prefix", prefix: "/ops/switchboard/") { f in
            try await Self.seed(f)
            let page = try await Self.request(f.base + "/ops/switchboard/queues")
            #expect(page.status == 200 && page.html.contains(#"href="/ops/switchboard/workers""#))
            #expect(page.html.contains(#"action="/ops/switchboard/act""#))
            let old = try await Self.request(f.base + "/console/queues")
            #expect(old.status == 404)
        }
    }

    @Test("Settings that cannot be safe are refused with what to change")
    func configuration() throws {
        #expect(throws: ConsoleConfigurationError.self) { try ConsoleConfiguration(adminToken: "short") }
        #expect(throws: ConsoleConfigurationError.self) { try ConsoleConfiguration(adminToken: Self.adminToken, readerToken: Self.adminToken) }
        #expect(throws: ConsoleConfigurationError.self) { try ConsoleConfiguration(pathPrefix: "console") }
        #expect(throws: ConsoleConfigurationError.self) { try ConsoleConfiguration(pathPrefix: "/con sole") }
        let fromEnvironment = try ConsoleConfiguration.fromEnvironment(["SWITCHBOARD_CONSOLE_READER_TOKEN": " \(Self.readerToken)\n",
                                                                        "SWITCHBOARD_CONSOLE_ADMIN_TOKEN": ""])
        #expect(fromEnvironment.isEnabled && fromEnvironment.adminToken == nil && fromEnvironment.readerToken == Self.readerToken)
        #expect(!(try ConsoleConfiguration.fromEnvironment([:])).isEnabled)
    }

    @Test("In headless Chromium: an admin pauses a queue, retries dead jobs, a rejection and a failed send, a reader sees no buttons, a customer unsubscribes and answers a survey; each page saved as a screenshot")
    func inChromium() async throws {
        let python = try await TestDatabase.blocking {
            try PythonTools.environment("browser", packages: ["selenium==4.51.0"]).appending(path: "bin/python")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "browser_pages.py")
        let screenshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../.build/screenshots").standardizedFileURL
        try? FileManager.default.removeItem(at: screenshots)
        try await Self.withConsole("console-browser") { f in
            try await Self.seed(f)
            try await f.connection.execute("UPDATE notify_settings SET public_base_url = \(f.base)")
            let (english, customer) = try await CustomerLinkTests.link(f, locale: "en", action: "unsubscribe", channel: "email",
                                                                       purposes: ["marketing"], key: "b1")
            let (arabic, _) = try await CustomerLinkTests.link(f, locale: "ar", action: "unsubscribe", channel: "sms",
                                                               purposes: ["order_updates"], key: "b2")
            try await Self.month(f)
            let (surveyToken, survey) = try await SurveyPageTests.survey(f, locale: "ar")
            let surveyURL = f.base + "/s/" + surveyToken
            let (status, output) = try await TestDatabase.blocking {
                try PythonTools.run([python.path, script.path, f.base, Self.adminToken, Self.readerToken, english, arabic, surveyURL,
                                     screenshots.path])
            }
            #expect(status == 0, "\(output.suffix(3000))")
            // What the clicks did, from the database.
            #expect(try await f.int("SELECT count(*) FROM job_queue_pauses WHERE queue = 'mail'") == 1)
            #expect(try await f.int("SELECT count(*) FROM jobs WHERE state = 'dead'") == 0)
            #expect(try await f.int("SELECT count(*) FROM audit_events WHERE kind = 'console_action'") == 4)
            #expect(try await f.int("SELECT count(*) FROM outbox WHERE status = 'failed'") == 0)
            #expect(try await f.int("SELECT count(*) FROM consent_events WHERE customer_id = \(customer) AND NOT granted") == 1)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: screenshots.path)) ?? []
            #expect(files.filter { $0.hasSuffix(".png") }.count == 14, "\(files)")
            #expect(try await SurveyPageTests.answer(f, survey) == ("answered", 5, "شكرًا على السرعة"))
        }
    }
}
