import Foundation

/// The system's PostgreSQL programs, and how to run them (the server's as `postgres` when we are root).
public struct PostgresTools: Sendable {
    let binDirectory: URL
    /// The account the server runs as when this process is root.
    let runAsUser: String?

    public static func locate() throws -> PostgresTools {
        let fileManager = FileManager.default
        var candidates: [URL] = []
        if let configured = ProcessInfo.processInfo.environment["SWITCHBOARD_PG_BINDIR"], !configured.isEmpty {
            candidates.append(URL(fileURLWithPath: configured))
        } else {
            // Debian and Ubuntu keep server binaries out of PATH, one directory per major version.
            let versions = (try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
            for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
                candidates.append(URL(fileURLWithPath: "/usr/lib/postgresql/\(version)/bin"))
            }
            for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
                candidates.append(URL(fileURLWithPath: String(directory)))
            }
        }
        guard let bin = candidates.first(where: {
            fileManager.isExecutableFile(atPath: $0.appending(path: "initdb").path)
                && fileManager.isExecutableFile(atPath: $0.appending(path: "pg_ctl").path)
        }) else {
            throw EmbeddedPostgresError("PostgreSQL server programs (initdb, pg_ctl) not found: install them (apt-get install -y postgresql) or set SWITCHBOARD_PG_BINDIR")
        }
        var runAs: String?
        if geteuid() == 0 {
            guard getpwnam("postgres") != nil else {
                throw EmbeddedPostgresError("PostgreSQL refuses to run as root and there is no 'postgres' user to run it as (apt-get install -y postgresql creates one)")
            }
            runAs = "postgres"
        }
        return PostgresTools(binDirectory: bin, runAsUser: runAs)
    }

    /// A finished program: its exit status and everything it printed.
    public struct Outcome: Sendable {
        public var status: Int32
        public var output: String
    }

    /// Runs a PostgreSQL client program (pgbench, psql) as the current user.
    public func runClient(_ program: String, _ arguments: [String]) throws -> Outcome {
        try run(program, arguments, asServerUser: false)
    }

    /// Runs a PostgreSQL program and collects its output. Output goes through a file, not a pipe,
    /// and the child inherits no descriptor but stdin/stdout/stderr: `pg_ctl start` leaves a
    /// server running that must hold nothing of ours open.
    func run(_ program: String, _ arguments: [String], asServerUser: Bool = true) throws -> Outcome {
        var executable = program.hasPrefix("/") ? program : binDirectory.appending(path: program).path
        if !FileManager.default.isExecutableFile(atPath: executable) {
            executable = "/usr/bin/\(program)"
        }
        let argv = runAsUser.map { asServerUser ? ["/usr/sbin/runuser", "-u", $0, "--", executable] : [executable] } ?? [executable]
        let outputPath = FileManager.default.temporaryDirectory.appending(path: "switchboard-\(UUID().uuidString).out").path
        defer { unlink(outputPath) }
        let status = try spawnAndWait(argv + arguments, outputPath: outputPath)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Outcome(status: status, output: text)
    }

    private func spawnAndWait(_ argv: [String], outputPath: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
        // Threads of this process block signals; a child must start with none blocked and default
        // handlers, or pgbench's SIGALRM timer and the server's signals never arrive.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArguments, environ)
        guard spawned == 0 else {
            throw EmbeddedPostgresError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw EmbeddedPostgresError("waiting for \(argv[0]) failed: \(String(cString: strerror(errno)))") }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// glibc 2.34+ closes every descriptor from 3 up in the child; the Swift overlay does not
    /// export the function, so it is looked up by name.
    private func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        // Older C libraries: close what is open now.
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap({ Int32($0) }) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    /// The server user must be able to walk down to the cluster directory.
    func checkReachable(_ directory: URL, by user: String) throws {
        let probe = try run("/usr/bin/test", ["-x", directory.path])
        if probe.status != 0 {
            throw EmbeddedPostgresError("the '\(user)' user cannot reach \(directory.path) (a parent directory is not searchable); choose a directory it can reach with SWITCHBOARD_DATA_DIR")
        }
    }

    func giveOwnership(of directory: URL, to user: String) throws {
        guard let entry = getpwnam(user) else { throw EmbeddedPostgresError("no user \(user)") }
        guard chown(directory.path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
            throw EmbeddedPostgresError("cannot give \(directory.path) to \(user): \(String(cString: strerror(errno)))")
        }
        chmod(directory.path, 0o700)
    }

    /// Writes a file inside the cluster, keeping it owned by the server user.
    func write(_ text: String, to file: URL) throws {
        try text.write(to: file, atomically: false, encoding: .utf8)
    }

    func append(_ text: String, to file: URL) throws {
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}
