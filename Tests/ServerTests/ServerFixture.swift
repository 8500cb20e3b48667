import AsyncHTTPClient
import Foundation
import Migrations
import NIOCore
import NIOHTTP1
import Postgres
import Secrets
import Server
import ServiceLifecycle
import Testing
import TestSupport

/// A migrated schema with `switchboard serve` running on a free loopback port, and a client
/// that signs its requests as an integration would.
struct ServerFixture {
    let schema: TestSchema
    let connection: PostgresConnection
    let port: Int
    let secretFile: URL

    var base: String { "http://127.0.0.1:\(port)" }

    static func with(_ label: String, configure: (inout ServerConfiguration) -> Void = { _ in }, metrics: ProcessMetrics? = nil,
                     _ body: (ServerFixture) async throws -> Void) async throws {
        let schema = try await TestDatabase.freshSchema(label)
        let connection = try await schema.connect()
        let secretFile = FileManager.default.temporaryDirectory.appending(path: "switchboard-intake-\(UUID().uuidString.prefix(8))")
        try Data("first-secret\n".utf8).write(to: secretFile)
        var failure: (any Error)?
        do {
            try await Migrator().migrate(on: connection)
            try await connection.execute("""
                INSERT INTO intake_integrations (name, secret_refs, rate_per_second, burst)
                VALUES ('shop', ARRAY[\("file:" + secretFile.path)], 1000, 1000)
                """)
            var configuration = ServerConfiguration(database: schema.configuration)
            configuration.port = 0
            configuration.integrationsRefresh = .milliseconds(200)
            configuration.maximumConnections = 4
            configure(&configuration)
            try await withRunningServer(configuration, metrics: metrics) { port in
                try await body(ServerFixture(schema: schema, connection: connection, port: port, secretFile: secretFile))
            }
        } catch { failure = error }
        try? FileManager.default.removeItem(at: secretFile)
        await connection.close()
        try await schema.drop()
        if let failure { throw failure }
    }

    /// Runs a server until `body` returns, then shuts it down gracefully.
    static func withRunningServer(_ configuration: ServerConfiguration, metrics: ProcessMetrics? = nil,
                                  _ body: (Int) async throws -> Void) async throws {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let server = SwitchboardServer(configuration, metrics: metrics) { port in continuation.yield(port) }
        let group = server.serviceGroup(signals: [])
        let running = Task { try await group.run() }
        var failure: (any Error)?
        do {
            let port = try await withTimeout(.seconds(30), "server start") {
                var iterator = ports.makeAsyncIterator()
                return await iterator.next() ?? 0
            }
            try await body(port)
        } catch { failure = error }
        await group.triggerGracefulShutdown()
        try await withTimeout(.seconds(30), "server shutdown") { try await running.value }
        if let failure { throw failure }
    }

    func int(_ sql: String) async throws -> Int {
        try await connection.query(PostgresQuery(unsafeSQL: sql)).scalar(Int.self)
    }

    /// What the server answered: status, headers and the body as JSON (or nil).
    struct Answer: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: Data
        var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }
        var id: Int64? { (json?["id"] as? NSNumber)?.int64Value }
        var error: String { json?["error"] as? String ?? "" }
        var field: String? { json?["field"] as? String }
    }

    /// A POST of `body` to `url` signed as integration `integration` with `secret`, now.
    static func signedRequest(_ url: String, body: Data, integration: String = "shop", secret: String) -> HTTPClientRequest {
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Switchboard-Integration", value: integration)
        request.headers.add(name: "Switchboard-Timestamp", value: String(timestamp))
        request.headers.add(name: "Switchboard-Signature", value: WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    /// Posts `body` to `path`, signed with `secret` at `timestamp` unless told otherwise.
    func post(_ path: String, body: Data, contentType: String = "application/json", integration: String? = "shop",
              secret: String = "first-secret", timestamp: Int64 = Int64(Date().timeIntervalSince1970),
              signature: String? = nil, headers extra: [(String, String)] = [], timeout: Duration = .seconds(30)) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: contentType)
        if let integration { request.headers.add(name: "Switchboard-Integration", value: integration) }
        request.headers.add(name: "Switchboard-Timestamp", value: String(timestamp))
        request.headers.add(name: "Switchboard-Signature", value: signature ?? WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret))
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await Self.send(request, timeout: timeout)
    }

    func get(_ path: String) async throws -> Answer {
        try await Self.send(HTTPClientRequest(url: base + path))
    }

    /// The body of a GET as text (`/metrics`).
    static func text(_ url: String) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return String(buffer: try await response.body.collect(upTo: 1 << 22))
    }

    /// Sends on a connection of its own (`Connection: close`): a pooled connection to a port an
    /// earlier test's server used could be stale.
    static func send(_ request: HTTPClientRequest, timeout: Duration = .seconds(30)) async throws -> Answer {
        var request = request
        request.headers.replaceOrAdd(name: "Connection", value: "close")
        let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Data(buffer: body))
    }
}

func json(_ object: [String: Any]) -> Data {
    try! JSONSerialization.data(withJSONObject: object)
}

/// The real `switchboard` binary started with `arguments`, once it printed the port it listens on
/// (a line containing `announcement` and ending in `:PORT`); stderr goes to `logs`.
struct SwitchboardProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let logs: URL
    private let output: URL

    static func start(_ arguments: [String], environment: [String: String] = [:], announcement: String) async throws -> SwitchboardProcess {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "switchboard")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the switchboard executable first (swift build)")
        let output = FileManager.default.temporaryDirectory.appending(path: "sb-out-\(UUID().uuidString.prefix(8))")
        let logs = FileManager.default.temporaryDirectory.appending(path: "sb-log-\(UUID().uuidString.prefix(8))")
        for file in [output, logs] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: logs)
        try process.run()
        var port: Int?
        let deadline = ContinuousClock.now + .seconds(60)
        while port == nil, ContinuousClock.now < deadline, process.isRunning {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.contains(announcement) }), let last = line.split(separator: ":").last {
                port = Int(last)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let port else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            Issue.record("switchboard \(arguments.first ?? "") printed no port: \((try? String(contentsOf: logs, encoding: .utf8)) ?? "")")
            throw CancellationError()
        }
        return SwitchboardProcess(process: process, port: port, logs: logs, output: output)
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// Sends SIGTERM and waits up to `limit` for the exit; the exit status, or nil when it did not end.
    func terminate(within limit: Duration = .seconds(30)) async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Kills what is left and removes the files.
    func cleanUp() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for file in [output, logs] { try? FileManager.default.removeItem(at: file) }
    }
}
