import CommandSupport
import SampleData
import SwitchboardApp
import ArgumentParser
import Foundation
import Postgres

/// `bench memory`: connect/query/listen/close in a loop and watch the resident set size.
struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Run connect/query/listen/close cycles and report RSS, to show that nothing leaks.",
        discussion: "Each cycle opens a connection, runs a parameterised query, LISTENs and NOTIFYs, starts a listener, receives the notification, and closes both. RSS is read from /proc/self/statm."
    )

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Cycles to run.") var cycles = 10_000
    @Option(help: "Cycles before the baseline RSS is taken.") var warmup = 500
    @Flag(help: "Print one JSON object instead of a table.") var json = false

    func run() async throws {
        let configuration = try database.resolve()
        var baseline = 0.0
        var samples: [(Int, Double)] = []
        for cycle in 1...cycles {
            try await oneCycle(configuration, cycle)
            if cycle == min(warmup, cycles) { baseline = Self.residentKiB() }
            if cycle % max(1, cycles / 10) == 0 { samples.append((cycle, Self.residentKiB())) }
        }
        let final = Self.residentKiB()
        var figures: [(String, Double)] = [("cycles", Double(cycles)), ("rss_after_warmup_kib", baseline), ("rss_final_kib", final),
                                           ("rss_growth_kib", final - baseline)]
        if !json { figures += samples.map { ("rss_kib_at_cycle_\($0.0)", $0.1) } }
        BenchOutput.print(figures, json: json, title: "bench memory — \(configuration.target)")
    }

    private func oneCycle(_ configuration: PostgresConfiguration, _ cycle: Int) async throws {
        let connection = try await PostgresConnection.connect(configuration)
        let listener = try PostgresListener(configuration: configuration)
        try await listener.listen("switchboard_memory")
        try await connection.run { connection in
            let echoed = try connection.query("SELECT \(cycle)::int8, \("cycle \(cycle)")::text").first!
            guard try echoed.decode(Int.self, at: 0) == cycle else { throw CommandFailure("wrong echo") }
            try connection.execute("LISTEN switchboard_memory_own")
            try connection.notify(channel: "switchboard_memory", payload: String(cycle))
        }
        var events = listener.events.makeAsyncIterator()
        guard case .notification(let notification)? = await events.next(), notification.payload == String(cycle) else {
            throw CommandFailure("cycle \(cycle): notification missing")
        }
        listener.stop()
        await connection.close()
    }

    static func residentKiB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return 0 }
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1024
    }
}
