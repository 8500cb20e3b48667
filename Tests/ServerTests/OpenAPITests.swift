import Foundation
import Testing
import TestSupport

@Suite("docs/openapi.yaml against the live server")
struct OpenAPITests {
    /// schemathesis (PyPI), in a virtual environment under .build, installed the first time.
    static func schemathesis() throws -> URL {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../..").standardizedFileURL
        let environment = root.appending(path: ".build/schemathesis")
        let tool = environment.appending(path: "bin/schemathesis")
        if FileManager.default.isExecutableFile(atPath: tool.path) { return tool }
        for step in [["/usr/bin/env", "python3", "-m", "venv", environment.path],
                     [environment.appending(path: "bin/pip").path, "install", "--quiet", "schemathesis==4.32.5"]] {
            let (status, output) = try run(step)
            guard status == 0 else {
                throw TestFailure("could not install schemathesis (\(step.joined(separator: " "))): \(output.suffix(500))")
            }
        }
        return tool
    }

    static func run(_ command: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("schemathesis generates requests for every operation in docs/openapi.yaml; the server never answers 5xx")
    func neverAServerError() async throws {
        let tool = try await TestDatabase.blocking { try Self.schemathesis() }
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../docs/openapi.yaml").standardizedFileURL
        try await ServerFixture.with("openapi") { f in
            let (status, output) = try await TestDatabase.blocking {
                try Self.run([tool.path, "run", schema.path, "--url", f.base, "--checks", "not_a_server_error", "--max-examples", "5",
                              "--seed", "1", "--request-timeout", "60", "--no-color"])
            }
            #expect(status == 0, "\(output.suffix(3000))")
            #expect(output.contains("Tested: 12"), "\(output.suffix(1500))")
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
