import AsyncHTTPClient
import Foundation
import Migrations
import NIOCore
import NIOPosix
import Postgres
import Secrets
import Server
import Testing
import TestSupport

@Suite("serve under faults: the database restarted, 1,000 connections, a stalled client, fuzzed bodies")
struct ServerFaultTests {
    @Test("the database stopped and started while requests flow: 503s meanwhile, none hangs, 2xx again after; every accepted row is there once")
    func databaseRestart() async throws {
        let cluster = try await TestDatabase.privateCluster()
        let base = try PostgresConfiguration(cluster.connectionString)
        let setup = try await PostgresConnection.connect(base)
        try await setup.execute("CREATE SCHEMA intake_restart")
        await setup.close()
        let schema = TestSchema(name: "intake_restart", configuration: try base.withSearchPath("intake_restart"), base: base)
        let connection = try await schema.connect()
        try await Migrator().migrate(on: connection)
        let secretFile = FileManager.default.temporaryDirectory.appending(path: "restart-secret-\(UUID().uuidString.prefix(8))")
        try Data("restart-secret".utf8).write(to: secretFile)
        defer { try? FileManager.default.removeItem(at: secretFile) }
        // Six senders without pause outrun the default rate (200 a second) on a fast hour of the
        // machine, and a 429 is not what this test is about.
        try await connection.execute("""
            INSERT INTO intake_integrations (name, secret_refs, rate_per_second, burst)
            VALUES ('shop', ARRAY[\("file:" + secretFile.path)], 100000, 100000)
            """)
        await connection.close()

        var configuration = ServerConfiguration(database: schema.configuration)
        configuration.port = 0
        configuration.databaseWait = .seconds(2)
        configuration.maximumConnections = 4
        try await ServerFixture.withRunningServer(configuration) { port in
            let before = try await schema.connect()
            let f = ServerFixture(schema: schema, connection: before, port: port, secretFile: secretFile)
            // Senders post without pause; the database goes away after a second and comes back three seconds later.
            let stop = ContinuousClock.now + .seconds(9)
            let results = try await withThrowingTaskGroup(of: [(String, Int, Int64?, Duration)].self) { group in
                for sender in 0..<6 {
                    group.addTask {
                        var sent: [(String, Int, Int64?, Duration)] = []
                        var n = 0
                        while ContinuousClock.now < stop {
                            let external = "s\(sender)-\(n)"
                            n += 1
                            let started = ContinuousClock.now
                            let answer = try await f.post("/v1/inbound/chat", body: json(["session_id": external, "text": "hello"]),
                                                          secret: "restart-secret", headers: [("Switchboard-External-Id", external)])
                            sent.append((external, answer.status, answer.id, ContinuousClock.now - started))
                            if answer.status == 503 { try await Task.sleep(for: .milliseconds(100)) }
                        }
                        return sent
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(1))
                    try await TestDatabase.blocking { try cluster.stop(mode: "fast") }
                    try await Task.sleep(for: .seconds(3))
                    _ = try await TestDatabase.blocking { try cluster.start() }
                    return []
                }
                var all: [(String, Int, Int64?, Duration)] = []
                for try await part in group { all += part }
                return all
            }
            // The restart cut the test's own connection too: check on a new one.
            await before.close()
            let checks = try await schema.connect()
            defer { Task { await checks.close() } }
            let g = ServerFixture(schema: schema, connection: checks, port: port, secretFile: secretFile)
            let statuses = Dictionary(grouping: results, by: \.1).mapValues(\.count)
            #expect(Set(statuses.keys).isSubset(of: [202, 200, 503]), "\(statuses)")
            #expect(statuses[503, default: 0] > 0 && statuses[202, default: 0] > 0, "\(statuses)")
            // None hung: the slowest answer came within the database wait and some slack for a loaded machine.
            #expect(results.map(\.3).max() ?? .zero < .seconds(20))
            // After the restart the server answers again.
            let last = try await g.post("/v1/inbound/chat", body: json(["session_id": "after", "text": "back"]), secret: "restart-secret")
            #expect(last.status == 202, "\(last.json ?? [:])")
            // Every accepted request's row is there, under the id it was given; a 503'd one sent again is stored once.
            for (external, status, id, _) in results where status == 202 || status == 200 {
                let stored = try await g.connection.query("SELECT id FROM inbound_messages WHERE external_id = \(external)").map { try $0.decode(Int64.self, at: 0) }
                #expect(stored == [id].compactMap { $0 }, "\(external)")
            }
            for (external, status, _, _) in results where status == 503 {
                let again = try await g.post("/v1/inbound/chat", body: json(["session_id": external, "text": "hello"]), secret: "restart-secret",
                                             headers: [("Switchboard-External-Id", external)])
                #expect(again.status == 202 || again.status == 200)
            }
            let distinct = Set(results.map(\.0)).count
            #expect(try await g.int("SELECT count(*) FROM inbound_messages WHERE external_id IS NOT NULL") == distinct)
        }
    }

    @Test("1,000 connections at once to a serve process: every request answered 202 with its own row")
    func thousandConnections() async throws {
        // serve in a process of its own and a client on event loops of its own: a thousand
        // connections must not clog the loops the other tests of this process share.
        let schema = try await TestDatabase.freshSchema("thousand")
        let connection = try await schema.connect()
        try await Migrator().migrate(on: connection)
        try await connection.execute("""
            INSERT INTO intake_integrations (name, secret_refs, rate_per_second, burst) VALUES ('shop', ARRAY['env:THOUSAND_SECRET'], 10000, 10000)
            """)
        let serve = try await SwitchboardProcess.start(
            ["serve", "--port", "0", "--log-level", "warning", "--database-url", schema.base.connectionString, "--schema", schema.name],
            environment: ["THOUSAND_SECRET": "thousand-secret"], announcement: "listening on")
        defer { serve.cleanUp() }
        let loops = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 1000)
        clientConfiguration.timeout = .init(connect: .seconds(60), read: .seconds(120))
        let client = HTTPClient(eventLoopGroupProvider: .shared(loops), configuration: clientConfiguration)
        // Each request's status, or what went wrong with it: the client is shut down whatever happens.
        let statuses = await withTaskGroup(of: String.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    let request = ServerFixture.signedRequest(serve.base + "/v1/inbound/chat", body: json(["session_id": "k\(index)", "text": "hi"]),
                                                              secret: "thousand-secret")
                    do {
                        return String(try await client.execute(request, timeout: .seconds(120)).status.code)
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var all: [String] = []
            for await status in group { all.append(status) }
            return all
        }
        try await client.shutdown()
        try await loops.shutdownGracefully()
        #expect(statuses.count == 1000 && statuses.allSatisfy { $0 == "202" }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        #expect(try await connection.query("SELECT count(*) FROM inbound_messages").scalar(Int.self) == 1000)
        #expect(try await serve.terminate() == 0)
        await connection.close()
        try await schema.drop()
    }

    @Test("a client that stalls mid-request holds nothing up and is cut off after the idle timeout")
    func stalledClient() async throws {
        try await ServerFixture.with("stalled", configure: { $0.idleTimeout = .seconds(2) }) { f in
            let socket = try RawSocket(port: f.port)
            defer { socket.close() }
            try socket.send("POST /v1/inbound/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"sess")
            // Meanwhile others are served at once.
            #expect(try await f.post("/v1/inbound/chat", body: json(["session_id": "s", "text": "hi"])).status == 202)
            #expect(try await f.get("/healthz").status == 200)
            // The stalled one is closed by the server within the idle timeout (and some slack).
            let closed = try await TestDatabase.blocking { socket.waitForClose(within: .seconds(15)) }
            #expect(closed)
            #expect(try await f.int("SELECT count(*) FROM inbound_messages") == 1)
        }
    }

    @Test("fuzz: random, truncated and mangled bodies, correctly signed, are answered 2xx or 4xx, never 5xx")
    func fuzz() async throws {
        try await ServerFixture.with("fuzzhttp") { f in
            var generator = SplitMix64(seed: 0xF0_22ED)
            let seeds: [(String, Data)] = [
                ("/v1/inbound/chat", json(["session_id": "s1", "visitor": ["email": "a@example.com"], "text": "Hello"])),
                ("/v1/inbound/sms", json(["from": "+380671234567", "text": "Де моє замовлення?", "media": [["url": "https://x.example/a.jpg"]]])),
                ("/v1/order-events", json(["order_number": "1001", "kind": "shipped", "occurred_at": "2026-12-03T10:15:00Z", "event_id": "e1",
                                           "payload": ["customer": ["email": "a@example.com"], "total": 12.5, "items": [["sku": "A", "quantity": 1]]]])),
            ]
            var statuses: [Int: Int] = [:]
            for round in 0..<150 {
                let (path, seed) = seeds[round % seeds.count]
                var bytes = [UInt8](seed)
                switch round % 5 {
                case 0: bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
                case 1: for _ in 0..<4 { bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next()) }
                case 2: bytes = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                case 3: bytes.insert(contentsOf: [0xC3, 0x28, 0x00], at: Int(generator.next() % UInt64(bytes.count)))
                default: break
                }
                let answer = try await f.post(path, body: Data(bytes))
                statuses[answer.status, default: 0] += 1
                #expect(answer.status < 500, "\(path) \(bytes.count) bytes: \(answer.status) \(answer.json ?? [:])")
                if answer.status >= 400 { #expect(!answer.error.isEmpty) }
            }
            #expect(statuses[202, default: 0] > 0 && statuses[400, default: 0] > 0, "\(statuses)")
        }
    }
}

/// A bare TCP connection to a loopback port, for a client that misbehaves on purpose.
final class RawSocket: @unchecked Sendable {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Whether the server closed the connection (a read returns 0 or fails) within `limit`.
    func waitForClose(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline {
            var descriptorSet = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptorSet, 1, 200) > 0 else { continue }
            if read(descriptor, &buffer, buffer.count) <= 0 { return true }
        }
        return false
    }

    func close() { _ = Glibc.close(descriptor) }
}
