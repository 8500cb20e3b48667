import Foundation
import Postgres

/// PgBouncer in transaction pooling in front of the shared test cluster, for runs with
/// `SWITCHBOARD_TEST_PGBOUNCER=1` (`deploy/dev test` makes one for the queue, ingest, routing and
/// notify suites). PgBouncer refuses the `options` parameter that gives each test's connections
/// their schema, so each schema gets a pooler database of its own whose `connect_query` sets the
/// search path: a line in an included file, then `RELOAD` on the admin console.
actor TestPgBouncer {
    /// Whether this test run goes through PgBouncer.
    static let isEnabled: Bool = {
        let value = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_PGBOUNCER"]?.lowercased() ?? ""
        return ["1", "true", "yes", "on"].contains(value)
    }()

    private let directory: URL
    private let serverHost: String
    private let serverPort: Int
    private let user: String
    private let port = 6432
    private var starting: Task<Void, any Error>?

    /// `server` is the cluster's conninfo; PgBouncer's files and socket go in `directory`.
    init(directory: URL, serverHost: String, serverPort: Int, user: String) {
        self.directory = directory
        self.serverHost = serverHost
        self.serverPort = serverPort
        self.user = user
    }

    /// A configuration that reaches `schema` through PgBouncer, with transaction pooling.
    func configuration(forSchema schema: String) async throws -> PostgresConfiguration {
        try await startIfNeeded()
        let line = "\(schema) = host=\(serverHost) port=\(serverPort) dbname=\(Self.database) connect_query='SET search_path = \(schema)'\n"
        try append(line, to: databasesFile)
        try await reload()
        return try PostgresConfiguration("host=\(directory.path) port=\(port) dbname=\(schema) user=\(user)").pooled(.transaction)
    }

    static let database = "switchboard"

    private var databasesFile: URL { directory.appending(path: "databases.ini") }

    /// Starts PgBouncer once; callers arriving meanwhile wait for the same start.
    private func startIfNeeded() async throws {
        if let starting { return try await starting.value }
        let task = Task { try await start() }
        starting = task
        try await task.value
    }

    private func start() async throws {
        let files = FileManager.default
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        // Short server lifetimes: every test's schema has a pool of its own, and the cluster's
        // connections are shared by the whole run.
        let settings = """
            [databases]
            %include \(databasesFile.path)

            [pgbouncer]
            listen_addr =
            listen_port = \(port)
            unix_socket_dir = \(directory.path)
            auth_type = trust
            auth_file = \(directory.appending(path: "users.txt").path)
            admin_users = \(user)
            pool_mode = transaction
            max_client_conn = 4000
            default_pool_size = 8
            server_idle_timeout = 5
            server_lifetime = 600
            ignore_startup_parameters = extra_float_digits
            logfile = \(directory.appending(path: "pgbouncer.log").path)
            log_connections = 0
            log_disconnections = 0

            """
        try settings.write(to: directory.appending(path: "pgbouncer.ini"), atomically: true, encoding: .utf8)
        try "\"\(user)\" \"\"\n".write(to: directory.appending(path: "users.txt"), atomically: true, encoding: .utf8)
        try "".write(to: databasesFile, atomically: true, encoding: .utf8)
        // PgBouncer refuses to run as root, as PostgreSQL does.
        let asRoot = geteuid() == 0
        if asRoot {
            guard let entry = getpwnam("postgres") else { throw PgBouncerUnavailable(description: "PgBouncer refuses to run as root and there is no postgres user") }
            for item in [directory] + ((try? files.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []) {
                chown(item.path, entry.pointee.pw_uid, entry.pointee.pw_gid)
            }
        }
        let executable = "/usr/sbin/pgbouncer"
        guard files.isExecutableFile(atPath: executable) else {
            throw PgBouncerUnavailable(description: "SWITCHBOARD_TEST_PGBOUNCER is set but \(executable) is missing (apt-get install -y pgbouncer)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: asRoot ? "/usr/sbin/runuser" : executable)
        process.arguments = (asRoot ? ["-u", "postgres", "--", executable] : []) + [directory.appending(path: "pgbouncer.ini").path]
        let output = directory.appending(path: "stderr.log")
        _ = files.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        Cleanup.register(process)
        // The socket file appears before PgBouncer listens on it: wait for an answer instead.
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            do {
                let connection = try await PostgresConnection.connect(adminConfiguration)
                await connection.close()
                return
            } catch {
                guard process.isRunning, ContinuousClock.now < deadline else {
                    let said = [(try? String(contentsOf: output, encoding: .utf8)) ?? "",
                                (try? String(contentsOf: directory.appending(path: "pgbouncer.log"), encoding: .utf8)) ?? ""].joined(separator: "\n")
                    throw PgBouncerUnavailable(description: "PgBouncer did not start (\(error)): \(said)")
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private var adminConfiguration: PostgresConfiguration {
        get throws { try PostgresConfiguration("host=\(directory.path) port=\(port) dbname=pgbouncer user=\(user)") }
    }

    /// Makes PgBouncer read the databases file again; it answers once it has.
    private func reload() async throws {
        let connection = try await PostgresConnection.connect(try adminConfiguration)
        defer { Task { await connection.close() } }
        try await connection.simpleQuery(unsafeSQL: "RELOAD")
    }

    private func append(_ text: String, to file: URL) throws {
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}

/// PgBouncer could not be started for the run, and why.
struct PgBouncerUnavailable: Error, CustomStringConvertible {
    let description: String
}
