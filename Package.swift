// swift-tools-version: 6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "Postgres", targets: ["Postgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
    ],
    targets: [
        // libpq, through pkg-config; the only C library Postgres wraps.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "EmbeddedPostgres",
            swiftSettings: strict
        ),
        // Turns sql/migrations/*.sql into Swift source at build time, so the binary carries them.
        .executableTarget(name: "MigrationEmbedder", swiftSettings: strict),
        .plugin(
            name: "EmbedMigrationsPlugin",
            capability: .buildTool(),
            dependencies: ["MigrationEmbedder"],
            path: "Sources/EmbedMigrationsPlugin"
        ),
        .target(
            name: "Migrations",
            dependencies: ["Postgres", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict,
            plugins: ["EmbedMigrationsPlugin"]
        ),
        // CLD2's C++ API behind a C function (Debian: libcld2-dev).
        .target(
            name: "CCLD2",
            path: "Sources/CCLD2",
            linkerSettings: [.linkedLibrary("cld2")]
        ),
        .target(
            name: "LanguageDetection",
            dependencies: ["CCLD2"],
            swiftSettings: strict
        ),
        // fastText's supervised classifier behind C functions (Debian: libfasttext-dev).
        .target(
            name: "CFastText",
            path: "Sources/CFastText",
            linkerSettings: [.linkedLibrary("fasttext")]
        ),
        // Conversation categories learnt from the shop's own messages (issue 20).
        .target(
            name: "Categories",
            dependencies: ["CFastText", "Postgres", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // GMime 3 behind a few C functions (Debian: libgmime-3.0-dev), found through pkg-config.
        .systemLibrary(
            name: "CGMime",
            path: "Sources/CGMime",
            pkgConfig: "gmime-3.0",
            providers: [.apt(["libgmime-3.0-dev"])]
        ),
        .target(
            name: "CGMimeShim",
            dependencies: ["CGMime"],
            path: "Sources/CGMimeShim"
        ),
        .systemLibrary(
            name: "CLibXML2",
            path: "Sources/CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .target(
            name: "CHTMLText",
            dependencies: ["CLibXML2"],
            path: "Sources/CHTMLText"
        ),
        .target(
            name: "EmailParsing",
            dependencies: ["CGMimeShim", "CHTMLText", "TextTrimming"],
            swiftSettings: strict
        ),
        // libphonenumber's C++ API behind a C function (Debian: libphonenumber-dev).
        .target(
            name: "CPhoneNumbers",
            path: "Sources/CPhoneNumbers",
            linkerSettings: [.linkedLibrary("phonenumber")]
        ),
        .target(
            name: "Identity",
            dependencies: ["CPhoneNumbers", "TextTrimming"],
            swiftSettings: strict
        ),
        // Whitespace trimming by Unicode scalar, for the parsers' hot paths.
        .target(
            name: "TextTrimming",
            swiftSettings: strict
        ),
        // Inbound payloads of every channel into one shape, or a rejection that says why.
        .target(
            name: "InboundParsing",
            dependencies: ["Helpdesk", "EmailParsing", "Identity", "TextTrimming"],
            swiftSettings: strict
        ),
        // The job queue: knows nothing of helpdesks.
        .target(
            name: "JobQueue",
            dependencies: [
                "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Domain types and the job kinds the workers exchange; shared by every worker module.
        .target(
            name: "Helpdesk",
            dependencies: ["JobQueue", "Postgres"],
            swiftSettings: strict
        ),
        // Mustache templates rendered as plain text, for answers and notices.
        .target(
            name: "TextTemplates",
            dependencies: [.product(name: "Mustache", package: "swift-mustache")],
            swiftSettings: strict
        ),
        // The ingest worker: inbound rows into conversations, order events into orders.
        .target(
            name: "Ingest",
            dependencies: [
                "Helpdesk", "JobQueue", "Postgres", "InboundParsing", "EmailParsing", "LanguageDetection", "Identity", "TextTemplates",
                "Categories", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The routing worker: rules, strategies, capacity, SLA; live reactions through LISTEN.
        .target(
            name: "Routing",
            dependencies: [
                "Helpdesk", "JobQueue", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // libcurl's SMTP client behind a C function (Debian: libcurl4-openssl-dev).
        .systemLibrary(
            name: "CCurl",
            path: "Sources/CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CCurlShim",
            dependencies: ["CCurl"],
            path: "Sources/CCurlShim"
        ),
        // Where secrets come from (env:NAME, file:/path) and the HMAC signature Switchboard's
        // webhooks carry and its HTTP intake checks.
        .target(
            name: "Secrets",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // The notification worker: outbox rows out through SMTP and HTTP providers, every step recorded.
        .target(
            name: "Notify",
            dependencies: [
                "Helpdesk", "JobQueue", "Postgres", "CCurlShim", "CGMimeShim", "TextTemplates", "Secrets",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The survey worker: due surveys decided and handed to the notification worker.
        .target(
            name: "Surveys",
            dependencies: [
                "Helpdesk", "JobQueue", "Postgres",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Each role of a Switchboard process built from a configuration struct into services.
        .target(
            name: "SwitchboardApp",
            dependencies: [
                "Postgres", "Migrations", "JobQueue", "Helpdesk", "Ingest", "Routing", "Notify", "Surveys", "Categories",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The service report: the metric views read into one struct, rendered as HTML with SVG charts, JSON or CSV.
        .target(
            name: "Reports",
            dependencies: [
                "Postgres",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict
        ),
        // The operator console: server-rendered pages of the queues, workers, inbound and outbox, and audited actions.
        .target(
            name: "Console",
            dependencies: [
                "Postgres", "JobQueue", "Helpdesk", "Notify", "Secrets", "Reports",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // `switchboard serve`: signed HTTP intake and the health probes, on Hummingbird.
        .target(
            name: "Server",
            dependencies: [
                "Postgres", "Migrations", "Secrets", "Helpdesk", "SwitchboardApp", "Console",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // What every command shares: where the database is (the environment is read here), errors, tables.
        .target(
            name: "CommandSupport",
            dependencies: [
                "Postgres", "EmbeddedPostgres", "Migrations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Simulated shoppers' messages for the demo and the benchmarks; never in a worker.
        .target(
            name: "SampleData",
            dependencies: ["Postgres"],
            swiftSettings: strict
        ),
        // `switchboard demo`: visible checks, then the live workers on simulated traffic.
        .target(
            name: "Demo",
            dependencies: [
                "SwitchboardApp", "CommandSupport", "SampleData", "Postgres", "Migrations", "JobQueue", "Helpdesk", "Routing",
                "LoopbackSinks", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // SMTP and HTTP servers on loopback that take what the notify worker sends: the demo's
        // providers, the bench's HTTP sink.
        .target(
            name: "LoopbackSinks",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // `switchboard bench …`: throughput and latency against references measured in the same run.
        .target(
            name: "Benchmarks",
            dependencies: [
                "SwitchboardApp", "CommandSupport", "SampleData", "Postgres", "EmbeddedPostgres", "Migrations", "JobQueue", "Helpdesk",
                "Ingest", "Routing", "Reports", "Categories",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                // The HTTP sink that wrk and the notify worker post to.
                "LoopbackSinks", "Secrets",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The command line: parses arguments and the environment, and hands over to the libraries.
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardApp", "CommandSupport", "Demo", "Benchmarks", "Postgres", "EmbeddedPostgres", "Migrations", "JobQueue",
                "Helpdesk", "Ingest", "Routing", "Notify", "InboundParsing", "Server", "Console", "Reports", "Categories",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "TestSupport",
            dependencies: ["Postgres", "EmbeddedPostgres", "Migrations", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport",
            // The real SMTP server (aiosmtpd) and HTTP provider that SMTPPeer and HTTPPeer run.
            exclude: ["smtp_peer.py", "http_peer.py"],
            swiftSettings: strict
        ),
        // A worker process the queue's fault tests start, kill and stop.
        .executableTarget(
            name: "queue-test-worker",
            dependencies: [
                "JobQueue", "Postgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/QueueTestWorker",
            swiftSettings: strict
        ),
        .testTarget(
            name: "JobQueueTests",
            dependencies: [
                "JobQueue", "Postgres", "Migrations", "EmbeddedPostgres", "TestSupport",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: ["Ingest", "Helpdesk", "InboundParsing", "JobQueue", "Postgres", "Migrations", "TestSupport", "Categories", "Routing"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "RoutingTests",
            dependencies: ["Routing", "Reports", "Helpdesk", "JobQueue", "Postgres", "Migrations", "TestSupport", "SampleData",
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NotifyTests",
            dependencies: ["Notify", "Surveys", "Ingest", "Helpdesk", "EmailParsing", "JobQueue", "Postgres", "Migrations", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: ["Server", "Console", "Secrets", "Ingest", "Helpdesk", "JobQueue", "Notify", "Postgres", "Migrations", "TestSupport",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOFoundationCompat", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            // The script that drives Chromium through the console and the link pages.
            exclude: ["browser_pages.py"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EmailParsingTests",
            dependencies: ["EmailParsing"],
            exclude: ["Corpus"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "TextTrimmingTests",
            dependencies: ["TextTrimming"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IdentityTests",
            dependencies: ["Identity"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "InboundParsingTests",
            dependencies: ["InboundParsing", "Helpdesk"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "LanguageDetectionTests",
            dependencies: ["LanguageDetection"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CategoriesTests",
            dependencies: ["Categories", "Postgres", "Migrations", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "EmbeddedPostgres", "Migrations", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "MigrationsTests",
            dependencies: ["Migrations", "Postgres", "TestSupport"],
            // The migrations as a database at 0009 applied them, before sql/definitions existed.
            exclude: ["MigrationsAt0009"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DeployTests",
            dependencies: ["Postgres", "Migrations", "TestSupport", "Helpdesk", "JobQueue", "Routing", "SwitchboardApp"],
            // KEDA's published CRDs and the checks kubernetes-validate cannot make, run by the tests.
            exclude: ["keda", "check_manifests.py"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchboardTests",
            dependencies: ["Postgres", "TestSupport", "Helpdesk", "Routing", "JobQueue", "SwitchboardApp", "CommandSupport",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
    ]
)
