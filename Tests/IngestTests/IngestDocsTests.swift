import Postgres
import Testing
import TestSupport

@Suite("docs/ingest.md")
struct IngestDocsTests {
    /// A block's statements, each with the error its doc says it meets (a `-- ERROR:` line right after it).
    static func statements(_ block: String) -> [(sql: String, error: String?)] {
        var statements: [(sql: String, error: String?)] = []
        var current: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("-- ERROR:"), !statements.isEmpty, current.isEmpty {
                statements[statements.count - 1].error = String(line.dropFirst("-- ERROR:".count)).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
            current.append(line)
            // A statement ends with ';', perhaps followed by a comment.
            if line.components(separatedBy: "--")[0].trimmingCharacters(in: .whitespaces).hasSuffix(";") {
                statements.append((current.joined(separator: "\n"), nil))
                current = []
            }
        }
        if !current.isEmpty { statements.append((current.joined(separator: "\n"), nil)) }
        return statements
    }

    @Test("every SQL example in the ingest guide runs as written on a fresh schema, and the refused ones fail with the words the guide shows")
    func examplesRun() async throws {
        let statements = try sqlExamples(inDocs: "ingest.md").flatMap(Self.statements)
        #expect(statements.count >= 12 && statements.filter { $0.error != nil }.count == 3)
        try await IngestFixture.with("ingest_docs") { fixture in
            for (sql, expected) in statements {
                do {
                    try await fixture.connection.simpleQuery(unsafeSQL: sql)
                    if let expected { Issue.record("docs/ingest.md says this fails with \"\(expected)\", but it ran:\n\(sql)") }
                } catch let error as PostgresError {
                    if let expected {
                        #expect(error.message == expected, "\(sql)")
                    } else {
                        Issue.record("docs/ingest.md example failed: \(error)\n\(sql)")
                    }
                }
            }
            // The examples did what the guide says.
            #expect(try await fixture.int("SELECT count(*) FROM category_rules WHERE category = 'wholesale'") == 1)
            #expect(try await fixture.text("SELECT category_model_threshold::text FROM stores WHERE code = 'default'") == "0.8")
            #expect(try await fixture.text("SELECT string_agg(yields_to_model::text, ',' ORDER BY id) FROM category_rules WHERE id IN (19, 43)") == "false,true")
            #expect(try await fixture.text("SELECT cron || ' ' || enabled FROM job_schedules WHERE name = 'categories_train'") == "17 3 * * * false")
            #expect(try await fixture.int("SELECT count(*) FROM policy_texts WHERE topic = 'shipping_time' AND locale = 'de'") == 1)
        }
    }
}
