import Postgres

/// Gives back running jobs whose lease lapsed — their worker crashed, hung or was cut off —
/// as available again, or dead if that was the last attempt, with the lapse recorded as the
/// attempt's error.
struct LeaseRescuer: MaintenanceChore {
    struct Configuration: Sendable {
        /// How often; a rescued job waited its lease plus up to this long.
        var interval: Duration = .seconds(1)
    }

    let configuration: Configuration
    var name: String { "rescue expired leases" }
    var interval: Duration { configuration.interval }

    func run(_ context: MaintenanceContext) async throws {
        let rescued = try await context.connection.run { connection in try Self.rescue(on: connection) }
        if rescued.available + rescued.dead > 0 {
            context.logger.warning("rescued jobs whose lease expired", metadata: [
                "available": "\(rescued.available)", "dead": "\(rescued.dead)"])
        }
    }

    static func rescue(on connection: isolated PostgresConnection) throws -> (available: Int, dead: Int) {
        let result = try connection.query("""
            WITH expired AS (
                SELECT ctid FROM jobs WHERE state = 'running' AND locked_until < now() FOR UPDATE SKIP LOCKED),
            rescued AS (
                UPDATE jobs j SET
                    state = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'available' END,
                    finished_at = CASE WHEN j.attempt >= j.max_attempts THEN now() END,
                    errors = j.errors || jsonb_build_array(jsonb_build_object(
                        'attempt', j.attempt, 'at', now(), 'worker_id', j.locked_by,
                        'error', 'lease expired: worker ' || j.locked_by || ' stopped renewing it (crashed, hung or cut off)')),
                    locked_by = NULL, locked_until = NULL
                 WHERE j.ctid = ANY (ARRAY(SELECT ctid FROM expired))
                RETURNING j.queue, j.state),
            woken AS (SELECT pg_notify(\(Jobs.wakeChannel), queue) FROM (SELECT DISTINCT queue FROM rescued WHERE state = 'available') q)
            SELECT count(*) FILTER (WHERE state = 'available'), count(*) FILTER (WHERE state = 'dead'),
                   (SELECT count(*) FROM woken)
              FROM rescued
            """)
        guard let row = result.first else { return (0, 0) }
        return (try row.decode(Int.self, at: 0), try row.decode(Int.self, at: 1))
    }
}
