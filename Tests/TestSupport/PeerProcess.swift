public import Foundation

/// A Python server on loopback that a test starts: it writes the port it listens on to
/// `<directory>/port`, and dies with SIGKILL.
public final class PeerProcess: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private let process: Process

    /// Runs `script` (a file next to this one) with `arguments` and `--dir <directory>`, and waits
    /// until it has written its port. `what` names it in errors.
    public static func start(script: String, arguments: [String] = [], directory: URL, what: String) async throws -> PeerProcess {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let portFile = directory.appending(path: "port")
        try? FileManager.default.removeItem(at: portFile)
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [path.path, "--dir", directory.path] + arguments
        // Its output goes to a file: a child holding the test process's stderr would keep the
        // test run from ending.
        let log = directory.appending(path: "peer.log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), let port = Int(text) {
                return PeerProcess(port: port, directory: directory, process: process)
            }
            guard process.isRunning, ContinuousClock.now < deadline else {
                Foundation.kill(process.processIdentifier, SIGKILL)
                let said = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                throw SMTPPeerError(description: "\(what) did not start: \(said)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private init(port: Int, directory: URL, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// Kills the server and reaps it; its directory stays. Reaped with waitpid, a few seconds at
    /// most, not Process.waitUntilExit: that waits for Foundation to notice the exit, which it
    /// sometimes never does with several children at once, and it blocked one of the suite's two
    /// cooperative threads for good (the whole suite stalled).
    public func kill() {
        let pid = process.processIdentifier
        Foundation.kill(pid, SIGKILL)
        var status: Int32 = 0
        for _ in 0..<500 {
            let reaped = waitpid(pid, &status, WNOHANG)
            // Reaped by us, or already by Foundation (ECHILD): either way it is gone.
            if reaped == pid || (reaped == -1 && errno == ECHILD) { return }
            usleep(10_000)
        }
    }
}
