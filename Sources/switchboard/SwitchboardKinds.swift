import JobQueue

/// The job kinds this binary runs. Domain kinds (ingest, route, notify, survey) join here.
enum SwitchboardKinds {
    struct Empty: Codable, Sendable {}

    /// Does nothing: for benchmarks and for checking that a deployment's workers run jobs.
    static let noop = JobKind<Empty>("switchboard.noop", timeout: .seconds(10))

    static func registry() -> JobRegistry {
        var registry = JobRegistry()
        registry.register(noop) { _, _ in }
        return registry
    }
}
