public import Foundation

/// A private PostgreSQL cluster in a directory of its own, reached only through a Unix socket in
/// that directory: what `switchboard` runs on when no `DATABASE_URL` is given, and what the tests
/// run on.
///
/// It uses the system's `initdb` and `pg_ctl`. PostgreSQL refuses to run as root, so when this
/// process is root the cluster belongs to, and is run as, the `postgres` system user.
public struct EmbeddedPostgres: Sendable {
    /// What the directory holds: `data/` (the cluster, its socket and `server.log`).
    public let directory: URL
    /// Durable commits; tests may turn it off for speed.
    public var fsync: Bool
    /// The socket's port number (it names the socket file; nothing listens on TCP).
    public var port: Int
    /// Server settings written at initialisation.
    public var settings: [String: String]

    /// The superuser and database the cluster is created with.
    public static let user = "switchboard"
    public static let database = "switchboard"

    public init(directory: URL, fsync: Bool = true, port: Int = 5432, settings: [String: String] = [:]) {
        self.directory = directory.standardizedFileURL
        self.fsync = fsync
        self.port = port
        self.settings = settings
    }

    public var dataDirectory: URL { directory.appending(path: "data") }
    public var logFile: URL { dataDirectory.appending(path: "server.log") }

    /// A libpq conninfo string for the cluster's database.
    public var connectionString: String { connectionString(database: Self.database) }

    public func connectionString(database: String, user: String = EmbeddedPostgres.user) -> String {
        "host='\(dataDirectory.path)' port=\(port) user='\(user)' dbname='\(database)'"
    }

    public enum Status: Sendable, Equatable, CustomStringConvertible {
        case notInitialized
        case stopped
        case running(pid: Int)

        public var description: String {
            switch self {
            case .notInitialized: "not initialised"
            case .stopped: "stopped"
            case .running(let pid): "running (pid \(pid))"
            }
        }
    }

    // MARK: Commands

    /// Initialises the cluster if needed and starts it if stopped; safe to call from several
    /// processes at once. Returns true if this call started the server.
    @discardableResult
    public func start() throws -> Bool {
        try withLock {
            let tools = try PostgresTools.locate()
            if !isInitialized { try initialize(tools) }
            if case .running = try currentStatus(tools) { return false }
            try runTool(tools, "pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-s", "start"],
                        failure: "could not start PostgreSQL (see \(logFile.path))")
            try createDatabaseIfMissing(tools)
            return true
        }
    }

    /// Stops the server if it runs (fast shutdown: sessions are ended, no data is lost).
    public func stop(mode: String = "fast") throws {
        try withLock {
            let tools = try PostgresTools.locate()
            guard case .running = try currentStatus(tools) else { return }
            try runTool(tools, "pg_ctl", ["-D", dataDirectory.path, "-m", mode, "-w", "-t", "60", "-s", "stop"],
                        failure: "could not stop PostgreSQL")
        }
    }

    /// Restarts the server with `pg_ctl restart` (fast mode by default: sessions are ended, the
    /// server comes back at once on the same socket).
    public func restart(mode: String = "fast") throws {
        try withLock {
            let tools = try PostgresTools.locate()
            try runTool(tools, "pg_ctl", ["-D", dataDirectory.path, "-l", logFile.path, "-m", mode, "-w", "-t", "60", "-s", "restart"],
                        failure: "could not restart PostgreSQL (see \(logFile.path))")
        }
    }

    public func status() throws -> Status {
        try currentStatus(try PostgresTools.locate())
    }

    /// Stops the server and deletes the directory.
    public func destroy() throws {
        if isInitialized { try? stop(mode: "immediate") }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Internals

    private var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appending(path: "PG_VERSION").path)
    }

    private func currentStatus(_ tools: PostgresTools) throws -> Status {
        guard isInitialized else { return .notInitialized }
        let outcome = try tools.run("pg_ctl", ["-D", dataDirectory.path, "status"])
        guard outcome.status == 0 else { return .stopped }
        let pidText = outcome.output.split(separator: "PID: ").dropFirst().first?.prefix { $0.isNumber } ?? ""
        return .running(pid: Int(pidText) ?? 0)
    }

    private func initialize(_ tools: PostgresTools) throws {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: dataDirectory.path),
           let contents = try? fileManager.contentsOfDirectory(atPath: dataDirectory.path), !contents.isEmpty {
            throw EmbeddedPostgresError("\(dataDirectory.path) exists but holds no PostgreSQL cluster; move it away or choose another directory")
        }
        try fileManager.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        if let owner = tools.runAsUser {
            try tools.checkReachable(directory, by: owner)
            try tools.giveOwnership(of: dataDirectory, to: owner)
        }
        // Unix socket path limit (sun_path) is 108 bytes including the file name.
        guard dataDirectory.path.utf8.count + "/.s.PGSQL.\(port)".utf8.count < 108 else {
            throw EmbeddedPostgresError("\(dataDirectory.path) is too long for a Unix socket path; choose a shorter directory")
        }
        try runTool(tools, "initdb", ["-D", dataDirectory.path, "-U", Self.user, "-E", "UTF8", "--locale=C",
                                      "--auth-local=trust", "--auth-host=scram-sha-256"] + (fsync ? [] : ["--no-sync"]),
                    failure: "initdb failed")
        var conf: [String: String] = [
            "listen_addresses": "''",
            "unix_socket_directories": "'\(dataDirectory.path)'",
            "port": "\(port)",
            "fsync": fsync ? "on" : "off",
            "max_connections": "200",
            "shared_buffers": "'128MB'",
            "log_min_messages": "warning",
            "log_line_prefix": "'%m [%p] '",
        ]
        if !fsync { conf["synchronous_commit"] = "off"; conf["full_page_writes"] = "off" }
        for (key, value) in settings { conf[key] = value }
        let lines = conf.keys.sorted().map { "\($0) = \(conf[$0]!)" }.joined(separator: "\n")
        try tools.append("\n# written by switchboard\n\(lines)\n", to: dataDirectory.appending(path: "postgresql.conf"))
        // The superuser is trusted over the private socket; any other role needs its password.
        let hba = """
        # written by switchboard: socket-only cluster in a private directory
        local all \(Self.user) trust
        local all all scram-sha-256
        host all all 127.0.0.1/32 scram-sha-256
        host all all ::1/128 scram-sha-256

        """
        try tools.write(hba, to: dataDirectory.appending(path: "pg_hba.conf"))
    }

    private func createDatabaseIfMissing(_ tools: PostgresTools) throws {
        let exists = try tools.run("psql", ["-X", "-q", "-A", "-t", "-d", connectionString(database: "postgres"), "-c",
                                            "SELECT 1 FROM pg_database WHERE datname = '\(Self.database)'"])
        guard exists.status == 0 else { throw EmbeddedPostgresError("cannot query the new cluster: \(exists.output)") }
        if exists.output.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
            try runTool(tools, "psql", ["-X", "-q", "-d", connectionString(database: "postgres"), "-c",
                                        "CREATE DATABASE \(Self.database)"], failure: "could not create the database")
        }
    }

    private func runTool(_ tools: PostgresTools, _ name: String, _ arguments: [String], failure: String) throws {
        let outcome = try tools.run(name, arguments)
        guard outcome.status == 0 else {
            let detail = outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
            throw EmbeddedPostgresError("\(failure): \(detail.isEmpty ? "exit status \(outcome.status)" : detail)")
        }
    }

    /// Serialises start/stop between processes sharing the directory.
    private func withLock<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let lockPath = directory.appending(path: ".lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EmbeddedPostgresError("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw EmbeddedPostgresError("cannot lock \(lockPath)") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}

/// A failure of the embedded cluster, with what to do about it.
public struct EmbeddedPostgresError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}
