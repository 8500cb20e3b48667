public import Console
public import Postgres

/// What `switchboard serve` runs with. The defaults suit most deployments.
public struct ServerConfiguration: Sendable {
    public var database: PostgresConfiguration
    /// Address to listen on; `0.0.0.0` for every interface.
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (tests).
    public var port = 8080
    /// A request body over this many bytes is answered 413 without being read further.
    public var maximumBodyBytes = 10 * 1024 * 1024
    /// How far a request's `Switchboard-Timestamp` may be from the server's clock.
    public var signatureWindow: Duration = .seconds(300)
    /// Connections the intake writes on at most.
    public var maximumConnections = 8
    /// How long a request waits for a connection before it is answered 503: never a hang.
    public var databaseWait: Duration = .seconds(3)
    /// Requests written in one statement at most.
    public var batchSize = 128
    /// Batches written at once.
    public var lanes = 2
    /// How often the integrations are read again (a new one or a rotated secret takes effect within this).
    public var integrationsRefresh: Duration = .seconds(5)
    /// A connection that sends nothing (a stalled or slow client) for this long is closed.
    public var idleTimeout: Duration = .seconds(30)
    /// The operator console: off unless a token is set (``ConsoleConfiguration/fromEnvironment(pathPrefix:_:)``).
    public var console = try! ConsoleConfiguration()

    public init(database: PostgresConfiguration) {
        self.database = database
    }
}
