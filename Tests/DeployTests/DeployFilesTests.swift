import Foundation
import Migrations
import Postgres
import Testing
import TestSupport

/// deploy/compose.yaml and deploy/kubernetes, validated offline by the tools operators use
/// (docker-compose, kubernetes-validate, KEDA's own CRD schemas), and the query KEDA scales on.
@Suite("Deployment files: compose, Kubernetes and KEDA")
struct DeployFilesTests {
    static let root = here.appending(path: "../..").standardizedFileURL
    static let compose = root.appending(path: "deploy/compose.yaml").path
    static let kubernetes = root.appending(path: "deploy/kubernetes")
    /// This directory: KEDA's CRDs (keda/) and check_manifests.py.
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    @Test("docker-compose accepts deploy/compose.yaml, refuses it without POSTGRES_PASSWORD, and it runs every role")
    func composeFile() throws {
        let valid = try PythonTools.run(["/usr/bin/docker-compose", "-f", Self.compose, "config", "-q"], environment: ["POSTGRES_PASSWORD": "test"])
        #expect(valid.status == 0, "\(valid.output)")
        let unset = try PythonTools.run(["/usr/bin/docker-compose", "-f", Self.compose, "config", "-q"], environment: [:])
        #expect(unset.status != 0 && unset.output.contains("set POSTGRES_PASSWORD"), "\(unset.output)")
        let services = try PythonTools.run(["/usr/bin/docker-compose", "-f", Self.compose, "config", "--services"], environment: ["POSTGRES_PASSWORD": "test"])
        // `config --services` lists the services of every profile; `up` starts pgbouncer only with its profile.
        #expect(Set(services.output.split(separator: "\n").map(String.init))
                == ["postgres", "migrate", "serve", "worker-ingest", "worker-routing", "worker-notify", "worker-surveys", "pgbouncer"])
    }

    @Test("compose's pgbouncer profile puts PgBouncer in transaction pooling before serve and the workers; migrate still connects directly")
    func composePgBouncerProfile() throws {
        let environment = ["POSTGRES_PASSWORD": "test", "SWITCHBOARD_DATABASE_HOST": "pgbouncer", "SWITCHBOARD_TRANSACTION_POOLING": "1"]
        let arguments = ["/usr/bin/docker-compose", "-f", Self.compose, "--profile", "pgbouncer", "config"]
        let services = try PythonTools.run(arguments + ["--services"], environment: environment)
        #expect(services.output.split(separator: "\n").contains("pgbouncer"), "\(services.output)")
        let config = try PythonTools.run(arguments, environment: environment)
        #expect(config.status == 0, "\(config.output)")
        // Each service's block of the resolved file, by its two-space-indented name.
        var blocks: [String: String] = [:]
        var current: String?
        for line in config.output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  "), !line.hasPrefix("   "), line.hasSuffix(":") { current = String(line.dropFirst(2).dropLast()) }
            else if !line.hasPrefix(" ") { current = nil }
            if let current { blocks[current, default: ""] += line + "\n" }
        }
        #expect(blocks["pgbouncer"]?.contains("POOL_MODE: transaction") == true, "\(config.output)")
        #expect(blocks["migrate"]?.contains("@postgres:5432/") == true && blocks["migrate"]?.contains("SWITCHBOARD_TRANSACTION_POOLING: '0'") == true,
                "\(blocks["migrate"] ?? config.output)")
        for service in ["serve", "worker-ingest", "worker-routing", "worker-notify", "worker-surveys"] {
            #expect(blocks[service]?.contains("@pgbouncer:5432/") == true && blocks[service]?.contains("SWITCHBOARD_TRANSACTION_POOLING: '1'") == true,
                    "\(service): \(blocks[service] ?? config.output)")
        }
    }

    @Test("kubernetes-validate --strict passes every core manifest; KEDA's kinds pass KEDA's CRD schemas and scale each worker on its own queue")
    func kubernetesManifests() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.kubernetes.path)
            .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }.sorted()
            .map { Self.kubernetes.appending(path: $0).path }
        let tools = try PythonTools.environment("kubernetes-validate", packages: ["kubernetes-validate==1.37.0"])
        let core = try PythonTools.run([tools.appending(path: "bin/kubernetes-validate").path, "--strict", "-k", "1.30.0"] + files, environment: [:])
        #expect(core.status == 0, "\(core.output)")
        #expect(!core.output.contains("ERROR"), "\(core.output)")
        // Namespace, ConfigMap, two example Secrets, the Job, serve's three, each worker's Deployment and budget.
        let passed = core.output.split(separator: "\n").filter { $0.contains(" passed for resource ") }.count
        #expect(passed == 16, "\(core.output)")

        let crds = ["keda.sh_scaledobjects.yaml", "keda.sh_triggerauthentications.yaml"]
            .map { Self.here.appending(path: "keda/\($0)").path }
        let checker = Self.here.appending(path: "check_manifests.py").path
        let keda = try PythonTools.run([tools.appending(path: "bin/python").path, checker, Self.kubernetes.path] + crds, environment: [:])
        #expect(keda.status == 0, "\(keda.output)")
        #expect(keda.output.contains("5 KEDA resources validated"), "\(keda.output)")
    }

    @Test("queue_available counts a queue's waiting jobs through the claim index, up to its cap, with a million jobs queued")
    func queueDepthForKEDA() async throws {
        try await TestDatabase.withConnection("keda") { connection, _ in
            try await Migrator().migrate(on: connection)
            try await connection.execute("""
                INSERT INTO jobs (queue, kind, args)
                SELECT CASE WHEN n % 10000 = 0 THEN 'route' ELSE 'ingest' END, 'ingest_message', jsonb_build_object('n', n)
                  FROM generate_series(1, 1000000) AS n
                """)
            try await connection.execute("""
                INSERT INTO jobs (queue, kind, args, state, run_at) SELECT 'route', 'route', '{}', 'scheduled', now() + interval '1 hour'
                  FROM generate_series(1, 50)
                """)
            _ = try await connection.simpleQuery(unsafeSQL: "VACUUM (ANALYZE) jobs")
            #expect(try await connection.query("SELECT queue_available('ingest', 1000)").scalar(Int.self) == 1000)
            #expect(try await connection.query("SELECT queue_available('route', 1000)").scalar(Int.self) == 100, "scheduled jobs are not waiting")
            #expect(try await connection.query("SELECT queue_available('surveys', 1000)").scalar(Int.self) == 0)
            #expect(try await connection.query("SELECT queue_available('ingest', 2000000)").scalar(Int.self) == 999_900)

            // The function's own body, planned as KEDA's call runs it.
            let body = try await connection.query("SELECT prosrc FROM pg_proc WHERE oid = 'queue_available(text, integer)'::regprocedure")
                .scalar(String.self)
            try await connection.execute(PostgresQuery(unsafeSQL: "PREPARE depth(text, integer) AS "
                + body.replacingOccurrences(of: "p_queue", with: "$1").replacingOccurrences(of: "p_cap", with: "$2")))
            // Generic plans too (as a SQL function's, after a few calls): the rare queue then must not read the table.
            try await connection.execute("SET plan_cache_mode = force_generic_plan")
            let rare = try await connection.query("EXPLAIN (ANALYZE, FORMAT TEXT) EXECUTE depth('route', 1000)")
                .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            #expect(rare.contains("Index Only Scan using jobs_claim on jobs") && rare.contains("rows=100 loops=1"), "\(rare)")
            var milliseconds: [Double] = []
            var plan = ""
            for _ in 0..<11 {
                plan = try await connection.query("EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) EXECUTE depth('ingest', 1000)")
                    .map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
                if let line = plan.split(separator: "\n").first(where: { $0.contains("Execution Time:") }),
                   let value = Double(line.split(separator: " ").dropLast().last ?? "") {
                    milliseconds.append(value)
                }
            }
            #expect(plan.contains("Index Only Scan using jobs_claim on jobs"), "\(plan)")
            #expect(plan.contains("actual") && plan.contains("rows=1000 loops=1"), "\(plan)")
            #expect(!plan.contains("Seq Scan"), "\(plan)")
            #expect(milliseconds.count == 11)
            // Reported, not asserted: speed is the benchmarks' business.
            print("queue_available('ingest', 1000) over 1,000,000 jobs, median of 11: \(milliseconds.sorted()[5]) ms\n\(plan)")
        }
    }
}
