import CommandSupport
import ArgumentParser
import EmbeddedPostgres

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded PostgreSQL cluster (used when DATABASE_URL is unset).",
        subcommands: [Start.self, Stop.self, Status.self]
    )

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise the cluster if needed and start it.")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let cluster = database.embedded
            let started = try cluster.start()
            print(started ? "started" : "already running", "—", cluster.directory.path)
            print("connect with: psql \"\(cluster.connectionString)\"")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster (fast shutdown).")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let cluster = database.embedded
            try cluster.stop()
            print("stopped —", cluster.directory.path)
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show whether the cluster runs; exit 3 when it does not.")
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            let cluster = database.embedded
            let status = try cluster.status()
            print("\(status) — \(cluster.directory.path)")
            if case .running = status {
                print("connect with: psql \"\(cluster.connectionString)\"")
            } else {
                throw ExitCode(3)
            }
        }
    }
}
