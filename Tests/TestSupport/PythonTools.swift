public import Foundation

/// Python tools from PyPI the tests run (schemathesis, Selenium), each in a virtual environment
/// of its own under .build, installed the first time.
public enum PythonTools {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../..").standardizedFileURL

    /// The environment `name` with `packages` (pinned versions) installed; returns its directory.
    public static func environment(_ name: String, packages: [String]) throws -> URL {
        let environment = root.appending(path: ".build/python/\(name)")
        let marker = environment.appending(path: "installed")
        let wanted = packages.joined(separator: "\n")
        if (try? String(contentsOf: marker, encoding: .utf8)) == wanted { return environment }
        for step in [["/usr/bin/env", "python3", "-m", "venv", environment.path],
                     [environment.appending(path: "bin/pip").path, "install", "--quiet"] + packages] {
            let (status, output) = try run(step)
            guard status == 0 else {
                throw PythonToolError(description: "could not install \(packages.joined(separator: " ")) (\(step.joined(separator: " "))): \(output.suffix(500))")
            }
        }
        try Data(wanted.utf8).write(to: marker)
        return environment
    }

    /// Runs `command` in .build/python (where the tools leave their caches); its exit status and
    /// its output and errors together. With `environment`, the command gets exactly that (plus
    /// PATH and HOME) instead of the test process's.
    public static func run(_ command: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
        let directory = root.appending(path: ".build/python")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.currentDirectoryURL = directory
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        if let environment {
            let inherited = ProcessInfo.processInfo.environment
            process.environment = environment.merging(["PATH": inherited["PATH"] ?? "/usr/bin:/bin", "HOME": inherited["HOME"] ?? "/tmp"]) { $1 }
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

public struct PythonToolError: Error, CustomStringConvertible {
    public let description: String
}
