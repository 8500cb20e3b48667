import ArgumentParser
import CommandSupport
import Foundation
import Logging
import Console
import Server

/// `switchboard serve`: the HTTP side — signed intake and the health probes — until SIGTERM/SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve signed HTTP intake and the health probes until SIGTERM or SIGINT.",
        discussion: """
            POST /v1/inbound/{channel} and POST /v1/order-events take signed requests from the integrations in \
            intake_integrations (docs/integrations.md); GET /healthz and /readyz answer probes; the operator console is at --console-path when \
            SWITCHBOARD_CONSOLE_ADMIN_TOKEN (acts) or SWITCHBOARD_CONSOLE_READER_TOKEN (reads) is set, each at least 16 characters. On SIGTERM, /readyz \
            turns 503, the server keeps answering for --drain-delay; GET /metrics is for Prometheus, then finishes the requests in flight and exits 0. \
            Migrations are not applied here: the workers (or switchboard migrate) apply them, and /readyz waits for them.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (0.0.0.0 for every interface).")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed at start).")
    var port = 8080

    @Option(name: .customLong("max-body"), help: "Largest request body in bytes; larger ones are answered 413.")
    var maximumBody = 10 * 1024 * 1024

    @Option(name: .customLong("signature-window"), help: "Seconds a request's Switchboard-Timestamp may be from the server's clock.")
    var signatureWindow = 300

    @Option(name: .customLong("connections"), help: "Database connections the intake writes on at most.")
    var connections = 8

    @Option(name: .customLong("intake-lanes"), help: "Intake statements running at once (each writes the requests that arrived meanwhile).")
    var intakeLanes = 2

    @Option(name: .customLong("database-wait"), help: "Seconds a request waits for the database before it is answered 503.")
    var databaseWait = 3.0

    @Option(name: .customLong("drain-delay"), help: "Seconds /readyz fails before the server stops taking connections at shutdown.")
    var drainDelay = 0.0

    @Option(name: .customLong("console-path"), help: "Where the operator console is mounted (with SWITCHBOARD_CONSOLE_ADMIN_TOKEN or _READER_TOKEN set).")
    var consolePath = "/console"

    @OptionGroup var logs: LogOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535, got \(port)") }
        guard maximumBody >= 1024 else { throw ValidationError("--max-body must be at least 1024 bytes") }
        guard signatureWindow >= 1 else { throw ValidationError("--signature-window must be at least 1 second") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard intakeLanes >= 1, intakeLanes <= connections else { throw ValidationError("--intake-lanes must be 1…--connections") }
        guard databaseWait > 0 else { throw ValidationError("--database-wait must be above 0") }
        guard drainDelay >= 0 else { throw ValidationError("--drain-delay cannot be negative") }
    }

    func run() async throws {
        try logs.bootstrap()
        let metrics = ProcessMetrics(role: "serve", version: SwitchboardBuild.version)
        metrics.bootstrap()
        var configuration = ServerConfiguration(database: try database.resolve())
        configuration.host = host
        configuration.port = port
        configuration.maximumBodyBytes = maximumBody
        configuration.signatureWindow = .seconds(signatureWindow)
        configuration.maximumConnections = connections
        configuration.lanes = intakeLanes
        configuration.databaseWait = .milliseconds(Int64(databaseWait * 1000))
        do {
            configuration.console = try ConsoleConfiguration.fromEnvironment(pathPrefix: consolePath)
        } catch {
            throw ValidationError(error.description)
        }
        if !configuration.console.isEnabled {
            Logger(label: "switchboard.serve").info("the operator console is off: set SWITCHBOARD_CONSOLE_ADMIN_TOKEN to turn it on")
        }
        let host = configuration.host
        let server = SwitchboardServer(configuration, metrics: metrics, drainDelay: .milliseconds(Int64(drainDelay * 1000))) { port in
            FileHandle.standardOutput.write(Data("switchboard serve: listening on \(host):\(port)\n".utf8))
        }
        try await server.run()
    }
}
