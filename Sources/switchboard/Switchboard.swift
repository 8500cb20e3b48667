import CommandSupport
import ArgumentParser
import Benchmarks
import Demo
import EmbeddedPostgres
import Foundation
import JobQueue
import Migrations
import Postgres

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Customer-service backbone for online stores, on PostgreSQL alone.",
        discussion: """
            With DATABASE_URL unset, commands use a private PostgreSQL cluster in SWITCHBOARD_DATA_DIR \
            (default ./.switchboard), started on demand.
            """,
        subcommands: [MigrateCommand.self, WorkerCommand.self, ServeCommand.self, JobsCommand.self, InboundCommand.self, RouteCommand.self, NotifyCommand.self, ReportCommand.self, CategoriesCommand.self, DatabaseCommand.self, DemoCommand.self, BenchCommand.self]
    )

    /// Parses, runs, and reports failures as one line on stderr with a non-zero exit status.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as any ReportedError {
            fail(error.description)
        } catch {
            exit(withError: error)
        }
    }

    static func fail(_ message: String) -> Never {
        let oneLine = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data("switchboard: error: \(oneLine)\n".utf8))
        Foundation.exit(1)
    }
}
