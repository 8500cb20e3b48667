import AsyncHTTPClient
import ArgumentParser
import CommandSupport
import EmbeddedPostgres
import Foundation
import Histogram
import LoopbackSinks
import NIOCore
import Postgres
import Secrets
import Synchronization

/// `bench serve`: signed intake requests a second through one `switchboard serve` process,
/// against pgbench inserting the same rows at the same concurrency in the same run; latency at
/// half that rate; the process's resident memory idle and under load.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Signed intake requests/s through switchboard serve against pgbench inserting the same rows, latency at half the rate, and memory.",
        discussion: """
            Works in schema switchboard_bench_serve (dropped and recreated). Starts this binary's `serve` on a free \
            loopback port with --connections database connections. wrk posts signed SMS payloads (Lua cycles through \
            requests signed at start, each a new message) over --clients connections for --seconds: intake_per_s. \
            pgbench inserts the same row into inbound_messages over as many connections for as long: \
            pgbench_insert_per_s. Then requests are offered at half the intake rate, open loop, for --seconds, and each \
            one's time from its due moment to its answer gives p50_ms and p99_ms. rss_idle_mb is serve's resident \
            memory before any request, rss_loaded_mb the most seen during wrk. Installs wrk when missing (apt-get).
            """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Concurrent client connections (wrk -c, pgbench -c).") var clients = 32
    @Option(help: "serve's database connections (--connections).") var connections = 8
    @Option(help: "serve's intake statements at once (--intake-lanes).") var lanes = 2
    @Option(help: "Seconds of wrk, of pgbench, and of the latency phase.") var seconds = 10.0
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    static let schema = "switchboard_bench_serve"
    static let secret = "bench-intake-secret"

    func run() async throws {
        try Tools.install()
        let server = try database.resolveServer()
        let (configuration, control) = try await BenchSchema.recreate(Self.schema, on: server)
        try await control.execute("""
            INSERT INTO intake_integrations (name, secret_refs, rate_per_second, burst)
            VALUES ('bench', ARRAY['env:SWITCHBOARD_BENCH_INTAKE'], 1000000, 1000000)
            """)
        let serve = try await ServeProcess.start(conninfo: server.connectionString, schema: Self.schema, connections: connections, lanes: lanes)
        defer { serve.stop() }
        try await Task.sleep(for: .seconds(1))
        var figures: [(String, Double)] = []
        let idle = serve.residentMegabytes()

        let body = #"{"from": "+380671234567", "text": "Добрий день! Де моє замовлення 1001? Дякую."}"#
        let peak = Mutex(idle)
        let sampling = Task {
            while !Task.isCancelled {
                let now = serve.residentMegabytes()
                peak.withLock { $0 = max($0, now) }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let intake = try wrk(port: serve.port, body: body)
        sampling.cancel()
        let reference = try pgbench(configuration, body: body)
        figures.append(("intake_per_s", intake))
        figures.append(("pgbench_insert_per_s", reference))
        figures.append(("intake_ratio_to_pgbench", intake / reference))

        let latency = try await openLoop(port: serve.port, rate: intake / 2, body: body)
        figures.append(("offered_per_s", latency.offered))
        figures.append(("p50_ms", latency.p50))
        figures.append(("p99_ms", latency.p99))
        figures.append(("max_ms", latency.max))
        figures.append(("errors", Double(latency.errors)))
        figures.append(("rss_idle_mb", idle))
        figures.append(("rss_loaded_mb", peak.withLock { $0 }))
        await control.close()
        BenchOutput.print(figures, json: json, title: "switchboard bench serve (\(server.target), schema \(Self.schema))")
    }

    /// wrk over `clients` connections for `seconds`, each request a signed new message; requests a second.
    private func wrk(port: Int, body: String) throws -> Double {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = WebhookSignature.sign(body: Data(body.utf8), timestamp: timestamp, secret: Self.secret)
        let script = FileManager.default.temporaryDirectory.appending(path: "switchboard-serve-wrk-\(getpid()).lua")
        let luaBody = body.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        // Signed once at the start (the window is five minutes); no external id, so every request is a new row.
        try """
            wrk.method = "POST"
            wrk.body = "\(luaBody)"
            wrk.headers["Content-Type"] = "application/json"
            wrk.headers["Switchboard-Integration"] = "bench"
            wrk.headers["Switchboard-Timestamp"] = "\(timestamp)"
            wrk.headers["Switchboard-Signature"] = "\(signature)"
            local statuses = {}
            response = function(status, headers, body)
              if status ~= 202 then statuses[status] = (statuses[status] or 0) + 1 end
            end
            """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let outcome = try Tools.run("/usr/bin/wrk", ["-t", "2", "-c", String(clients), "-d", "\(Int(max(1, seconds)))s", "-s", script.path,
                                                     "http://127.0.0.1:\(port)/v1/inbound/sms"])
        guard outcome.status == 0, let line = outcome.output.split(separator: "\n").first(where: { $0.hasPrefix("Requests/sec:") }),
              let rate = Double(line.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)) else {
            throw CommandFailure("wrk gave no Requests/sec: \(outcome.output.suffix(300))")
        }
        if let errors = outcome.output.split(separator: "\n").first(where: { $0.contains("Non-2xx or 3xx responses") }) {
            throw CommandFailure("serve refused requests under wrk (\(errors.trimmingCharacters(in: .whitespaces))): the figure would not count rows")
        }
        return rate
    }

    /// pgbench inserting the same row over `clients` connections for `seconds`; inserts a second.
    private func pgbench(_ configuration: PostgresConfiguration, body: String) throws -> Double {
        let script = FileManager.default.temporaryDirectory.appending(path: "switchboard-serve-pgbench-\(getpid()).sql")
        try """
            INSERT INTO \(Self.schema).inbound_messages (channel, payload) VALUES ('sms', convert_to('\(body.replacingOccurrences(of: "'", with: "''"))', 'UTF8'));
            """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let outcome = try PostgresTools.locate().runClient(
            "pgbench", ["-n", "-M", "prepared", "-c", String(clients), "-j", "2", "-T", String(max(1, Int(seconds))), "-f", script.path,
                        configuration.connectionString])
        guard outcome.status == 0, let line = outcome.output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
              let tps = Double(line.dropFirst("tps = ".count).prefix { $0.isNumber || $0 == "." }) else {
            throw CommandFailure("pgbench gave no tps figure: \(outcome.output.suffix(300))")
        }
        return tps
    }

    /// Signed requests offered at `rate` a second for `seconds`, open loop: each one's latency is
    /// from when it was due to its answer, so a slow answer does not hold the next one back.
    private func openLoop(port: Int, rate: Double, body: String) async throws -> (offered: Double, p50: Double, p99: Double, max: Double, errors: Int) {
        var clientConfiguration = HTTPClient.Configuration()
        // Open loop: enough connections that a request never waits for one (which would time the client, not serve).
        clientConfiguration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let results = LatencyRecorder()
        let data = Data(body.utf8)
        let offered = try await withThrowingTaskGroup(of: Void.self) { group in
            let offered = try await BenchLoad.offer(rate: rate, for: .milliseconds(Int64(seconds * 1000))) { count in
                for _ in 0..<count {
                    let due = ContinuousClock.now
                    group.addTask {
                        let timestamp = Int64(Date().timeIntervalSince1970)
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/inbound/sms")
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.headers.add(name: "Switchboard-Integration", value: "bench")
                        request.headers.add(name: "Switchboard-Timestamp", value: String(timestamp))
                        request.headers.add(name: "Switchboard-Signature", value: WebhookSignature.sign(body: data, timestamp: timestamp, secret: Self.secret))
                        request.body = .bytes(ByteBuffer(bytes: data))
                        let status = try? await client.execute(request, timeout: .seconds(30)).status.code
                        let micros = UInt64(max(0, (ContinuousClock.now - due).seconds * 1_000_000))
                        results.record(micros, ok: status == 202)
                    }
                }
            }
            try await group.waitForAll()
            return offered
        }
        try await client.shutdown()
        let (histogram, errors) = results.state.withLock { ($0.histogram, $0.errors) }
        let p50 = Double(histogram.valueAtPercentile(50)) / 1000
        let p99 = Double(histogram.valueAtPercentile(99)) / 1000
        let slowest = Double(histogram.max) / 1000
        return (offered, p50, p99, slowest, errors)
    }
}

/// Latencies in microseconds of the answered requests, and how many were not answered 202.
final class LatencyRecorder: Sendable {
    let state = Mutex<(histogram: Histogram<UInt64>, errors: Int)>((Histogram(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three), 0))

    func record(_ micros: UInt64, ok: Bool) {
        state.withLock { state in
            if ok { state.histogram.record(micros) } else { state.errors += 1 }
        }
    }
}

/// `switchboard serve` (this very binary) on a free loopback port.
final class ServeProcess: @unchecked Sendable {
    let port: Int
    private let process: Process

    static func start(conninfo: String, schema: String, connections: Int, lanes: Int) async throws -> ServeProcess {
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = ["serve", "--database-url", conninfo, "--schema", schema, "--port", String(port),
                             "--connections", String(connections), "--intake-lanes", String(lanes), "--log-level", "error"]
        process.environment = ProcessInfo.processInfo.environment.merging(["SWITCHBOARD_BENCH_INTAKE": ServeBench.secret]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Until it answers its liveness probe.
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(2)),
               response.status == .ok {
                return ServeProcess(port: port, process: process)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(process.processIdentifier, SIGKILL)
        throw CommandFailure("switchboard serve did not answer /healthz on port \(port) within 30 s")
    }

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// VmRSS of the process, in MiB.
    func residentMegabytes() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kilobytes / 1024
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
