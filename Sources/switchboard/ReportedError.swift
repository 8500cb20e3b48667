import CommandSupport
import EmbeddedPostgres
import Ingest
import JobQueue
import Migrations
import Postgres
import Routing

/// An error whose description is written for the person at the terminal: `main` prints it as one
/// line, `switchboard: error: …`, and exits 1. Everything else (argument errors, --help) goes
/// to swift-argument-parser. A module's new error type joins here, in this one list.
protocol ReportedError: Error, CustomStringConvertible {}

extension PostgresError: ReportedError {}
extension PostgresDecodingError: ReportedError {}
extension EmbeddedPostgresError: ReportedError {}
extension MigrationError: ReportedError {}
extension JobQueueError: ReportedError {}
extension IngestError: ReportedError {}
extension RoutingSetupError: ReportedError {}
extension CommandFailure: ReportedError {}
