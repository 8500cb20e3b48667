import AsyncHTTPClient
import ArgumentParser
import CommandSupport
import EmbeddedPostgres
import Foundation
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
            pgbench_insert_per_s. Then wrk offers requests at half the intake rate for --seconds, each thread on a \
            fixed schedule (Lua, paced by the clock), and its latency distribution gives p50_ms and p99_ms; \
            serve_p50_ms and serve_p99_ms are the same requests timed inside serve (its /metrics histogram, to a \
            bucket's resolution). rss_idle_mb is serve's resident memory before any request, rss_loaded_mb the most \
            seen during wrk. Installs wrk when missing (apt-get).
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
        let intake = try wrk(port: serve.port, body: body).perSecond
        sampling.cancel()
        let reference = try pgbench(configuration, body: body)
        figures.append(("intake_per_s", intake))
        figures.append(("pgbench_insert_per_s", reference))
        figures.append(("intake_ratio_to_pgbench", intake / reference))

        let before = try await IntakeHistogram.read(port: serve.port)
        let latency = try wrk(port: serve.port, body: body, pacedAt: intake / 2)
        let inServe = try await IntakeHistogram.read(port: serve.port).since(before)
        figures.append(("offered_per_s", latency.perSecond))
        figures.append(("p50_ms", latency.p50))
        figures.append(("p99_ms", latency.p99))
        figures.append(("max_ms", latency.max))
        // The same requests timed inside serve (its own histogram, so to a bucket's resolution):
        // what of p99 is serve's, and what is the client's and the kernel's.
        figures.append(("serve_p50_ms", inServe.quantile(0.5) * 1000))
        figures.append(("serve_p99_ms", inServe.quantile(0.99) * 1000))
        figures.append(("rss_idle_mb", idle))
        figures.append(("rss_loaded_mb", peak.withLock { $0 }))
        await control.close()
        BenchOutput.print(figures, json: json, title: "switchboard bench serve (\(server.target), schema \(Self.schema))")
    }

    /// What a wrk run measured: requests a second, and its latency distribution in milliseconds.
    struct WrkFigures {
        var perSecond: Double
        var p50: Double, p99: Double, max: Double
    }

    /// wrk over `clients` connections for `seconds`, each request a signed new message: as fast as
    /// serve answers, or, with `pacedAt`, that many requests a second on a fixed schedule.
    private func wrk(port: Int, body: String, pacedAt rate: Double? = nil) throws -> WrkFigures {
        let timestamp = Int64(Date().timeIntervalSince1970)
        let signature = WebhookSignature.sign(body: Data(body.utf8), timestamp: timestamp, secret: Self.secret)
        let script = FileManager.default.temporaryDirectory.appending(path: "switchboard-serve-wrk-\(getpid()).lua")
        let luaBody = body.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let threads = 2
        // Each thread's requests are due every `interval` ms by the clock (LuaJIT's ffi reads it);
        // a connection asking early waits for the next due moment, one asking late goes at once.
        let pacing = rate.map { rate in """
            local ffi = require("ffi")
            ffi.cdef[[ typedef struct { long tv_sec; long tv_usec; } sb_timeval; int gettimeofday(sb_timeval *tv, void *tz); ]]
            local clock = ffi.new("sb_timeval")
            local function now_ms() ffi.C.gettimeofday(clock, nil); return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_usec) / 1000 end
            local interval = \(Double(threads) * 1000 / rate)
            local due = nil
            delay = function()
              local now = now_ms()
              due = (due or now) + interval
              if due < now then due = now end
              return due - now
            end
            """ } ?? ""
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
            \(pacing)
            """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let outcome = try Tools.run("/usr/bin/wrk", ["-t", String(threads), "-c", String(clients), "-d", "\(Int(max(1, seconds)))s", "--latency",
                                                     "-s", script.path, "http://127.0.0.1:\(port)/v1/inbound/sms"])
        let lines = outcome.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard outcome.status == 0, let line = lines.first(where: { $0.hasPrefix("Requests/sec:") }),
              let perSecond = Double(line.dropFirst("Requests/sec:".count).trimmingCharacters(in: .whitespaces)) else {
            throw CommandFailure("wrk gave no Requests/sec: \(outcome.output.suffix(300))")
        }
        if let errors = lines.first(where: { $0.contains("Non-2xx or 3xx responses") }) {
            throw CommandFailure("serve refused requests under wrk (\(errors)): the figure would not count rows")
        }
        /// "12.34ms" → 12.34; wrk writes us, ms, s and m.
        func milliseconds(_ text: Substring?) -> Double {
            guard let text else { return .nan }
            for (unit, factor) in [("us", 0.001), ("ms", 1.0), ("s", 1000.0), ("m", 60_000.0)] where text.hasSuffix(unit) {
                return (Double(text.dropLast(unit.count)) ?? .nan) * factor
            }
            return .nan
        }
        func percentile(_ label: String) -> Double {
            milliseconds(lines.first { $0.hasPrefix(label) }?.split(separator: " ", omittingEmptySubsequences: true).last)
        }
        let max = milliseconds(lines.first { $0.hasPrefix("Latency ") }?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first)
        return WrkFigures(perSecond: perSecond, p50: percentile("50%"), p99: percentile("99%"), max: max)
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
}

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

/// serve's own `switchboard_http_request_duration_seconds` histogram of the intake route, read
/// from its /metrics: cumulative counts by upper bound.
struct IntakeHistogram {
    var buckets: [(le: Double, count: Double)]

    static func read(port: Int) async throws -> IntakeHistogram {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 22))
        var buckets: [(Double, Double)] = []
        for line in text.split(separator: "\n")
        where line.hasPrefix("switchboard_http_request_duration_seconds_bucket{") && line.contains(#"route="/v1/inbound/{channel}""#) {
            guard let leStart = line.range(of: #"le=""#)?.upperBound, let leEnd = line[leStart...].firstIndex(of: "\""),
                  let count = Double(line.split(separator: " ").last ?? "") else { continue }
            let le = line[leStart..<leEnd] == "+Inf" ? Double.infinity : Double(line[leStart..<leEnd]) ?? .infinity
            buckets.append((le, count))
        }
        return IntakeHistogram(buckets: buckets.sorted { $0.0 < $1.0 }.map { (le: $0.0, count: $0.1) })
    }

    /// The counts added since `earlier`.
    func since(_ earlier: IntakeHistogram) -> IntakeHistogram {
        IntakeHistogram(buckets: buckets.map { bucket in
            (bucket.le, bucket.count - (earlier.buckets.first { $0.le == bucket.le }?.count ?? 0))
        })
    }

    /// The `q` quantile in seconds, interpolated within its bucket as Prometheus' histogram_quantile does.
    func quantile(_ q: Double) -> Double {
        guard let total = buckets.last?.count, total > 0 else { return 0 }
        let rank = q * total
        var lower = (le: 0.0, count: 0.0)
        for bucket in buckets {
            if bucket.count >= rank {
                if bucket.le == .infinity { return lower.le }
                return lower.le + (bucket.le - lower.le) * (rank - lower.count) / max(1, bucket.count - lower.count)
            }
            lower = bucket
        }
        return lower.le
    }
}
