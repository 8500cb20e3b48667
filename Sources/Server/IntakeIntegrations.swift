import Postgres
import Logging
import Foundation
import Secrets

/// An integration allowed to post to the intake: an `intake_integrations` row with its secrets read.
public struct IntakeIntegration: Sendable {
    public let name: String
    public let store: String?
    /// One secret, or two during a rotation; empty when none could be read (see `secretProblem`).
    public let secrets: [String]
    /// Why the secrets could not be read, for the operator (never the secret itself).
    public let secretProblem: String?
    public let ratePerSecond: Double
    public let burst: Int
    /// `switchboard`, `shopify` or `twilio`: which requests it sends, signed how.
    public let format: String
    /// The URL Twilio signs, when a proxy changes it; nil rebuilds it from the request.
    public let signedURL: String?
}

/// The enabled integrations, read from `intake_integrations` and read again every `refresh`, so
/// a new integration or a rotated secret takes effect without a restart. While the database is
/// unreachable, the last list read keeps answering.
actor IntakeIntegrations {
    private let pool: PostgresPool
    private let refresh: Duration
    private let logger: Logger
    private let environment: [String: String]
    private var byName: [String: IntakeIntegration] = [:]
    private var readAt: ContinuousClock.Instant?
    private var everRead = false
    private var reading: Task<Void, Never>?

    init(pool: PostgresPool, refresh: Duration, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.pool = pool
        self.refresh = refresh
        self.logger = logger
        self.environment = environment
    }

    /// What a lookup found.
    enum Lookup: Sendable {
        case found(IntakeIntegration)
        case unknown
        /// The table has never been read (the database has not answered since the start).
        case unavailable
    }

    /// The integration named `name`, reading the table first when the list is older than `refresh`.
    func integration(named name: String) async -> Lookup {
        if readAt.map({ ContinuousClock.now - $0 > refresh }) ?? true {
            await readAgain()
        }
        if let integration = byName[name] { return .found(integration) }
        return everRead ? .unknown : .unavailable
    }

    private func readAgain() async {
        if let reading { return await reading.value }
        let task = Task { await self.read() }
        reading = task
        await task.value
        reading = nil
    }

    private func read() async {
        do {
            let rows = try await pool.query("""
                SELECT name, store, secret_refs, rate_per_second::float8, burst, format, signed_url FROM intake_integrations WHERE enabled
                """)
            var next: [String: IntakeIntegration] = [:]
            for row in rows {
                let name = try row.decode(String.self, at: 0)
                var secrets: [String] = []
                var problems: [String] = []
                for text in try row.decode([String].self, at: 2) {
                    guard let reference = SecretReference(text) else { problems.append("\(text) is not env:NAME or file:/path"); continue }
                    do { secrets.append(try reference.read(environment: environment)) } catch { problems.append(error.description) }
                }
                let problem = problems.isEmpty ? nil : problems.joined(separator: "; ")
                if let problem, byName[name]?.secretProblem != problem {
                    logger.error("an intake integration's secret cannot be read", metadata: ["integration": "\(name)", "problem": "\(problem)"])
                }
                next[name] = IntakeIntegration(name: name, store: try row.decode(String?.self, at: 1), secrets: secrets,
                                               secretProblem: problem, ratePerSecond: try row.decode(Double.self, at: 3),
                                               burst: try row.decode(Int.self, at: 4), format: try row.decode(String.self, at: 5),
                                               signedURL: try row.decode(String?.self, at: 6))
            }
            byName = next
            readAt = .now
            everRead = true
        } catch {
            // Keep answering from the last list; try again on the next request after a short pause.
            logger.warning("cannot read intake_integrations; keeping the last list", metadata: ["error": "\(error)"])
            readAt = .now - refresh + .seconds(1)
        }
    }
}
