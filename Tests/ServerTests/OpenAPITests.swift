import Console
import Foundation
import Testing
import TestSupport

@Suite("docs/openapi.yaml against the live server")
struct OpenAPITests {
    @Test("schemathesis generates requests for every operation in docs/openapi.yaml; the server never answers 5xx")
    func neverAServerError() async throws {
        let tool = try await TestDatabase.blocking {
            try PythonTools.environment("schemathesis", packages: ["schemathesis==4.32.5"]).appending(path: "bin/schemathesis")
        }
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "../../docs/openapi.yaml").standardizedFileURL
        let adminToken = "openapi-admin-\(UUID().uuidString)"
        try await ServerFixture.with("openapi", configure: {
            $0.console = try! ConsoleConfiguration(adminToken: adminToken)
        }) { f in
            // Signed in as the console's admin, so its pages and actions are reached, not only its 401.
            let (status, output) = try await TestDatabase.blocking {
                try PythonTools.run([tool.path, "run", schema.path, "--url", f.base, "--checks", "not_a_server_error", "--max-examples", "5",
                                     "--seed", "1", "--request-timeout", "60", "--no-color", "-H", "Authorization: Bearer \(adminToken)"])
            }
            #expect(status == 0, "\(output.suffix(3000))")
            #expect(output.contains("Tested: 17"), "\(output.suffix(1500))")
        }
    }
}
