import Postgres

/// Leader election: one worker process per schema holds the `job_leader` lease and does the
/// maintenance chores. The lease is a row, not a session advisory lock, so election also works
/// through PgBouncer in transaction pooling mode.
struct LeaderElection: Sendable {
    struct Configuration: Sendable {
        /// How long the lease lasts without renewal: a dead leader is replaced within about this long.
        var lease: Duration = .seconds(5)
        /// Renewed three times a lease, at least every second.
        var renewInterval: Duration { min(.seconds(1), lease / 3) }
    }

    let configuration: Configuration

    /// Takes or renews the lease. Returns whether this worker holds it, and whether it just took it.
    static func renew(worker: Int64, lease: Duration, on connection: isolated PostgresConnection) throws -> (held: Bool, newly: Bool) {
        let result = try connection.query("""
            UPDATE job_leader SET
                elected_at = CASE WHEN worker_id = \(worker) AND expires_at > now() THEN elected_at ELSE now() END,
                worker_id = \(worker),
                expires_at = now() + \(lease.wholeMilliseconds) * interval '1 millisecond'
             WHERE worker_id = \(worker) OR expires_at <= now()
            RETURNING elected_at = now()
            """)
        guard let row = result.first else { return (false, false) }
        return (true, try row.decode(Bool.self, at: 0))
    }

    /// Gives the lease up at once, so another process takes over without waiting for it to lapse.
    static func resign(worker: Int64, on connection: isolated PostgresConnection) throws {
        try connection.execute("UPDATE job_leader SET expires_at = '-infinity' WHERE worker_id = \(worker)")
    }
}

/// Whether this process leads, as the maintenance loop knows it between renewals: a pure state
/// machine, so its rules are tested without a database.
struct Leadership: Equatable, Sendable {
    /// What a renewal changed, for the log.
    enum Change: Equatable, Sendable {
        case none
        case elected
        case lost
    }

    /// Until when this process may act as leader; nil when it is not one.
    private(set) var until: ContinuousClock.Instant?

    /// Leading now: the last renewal held the lease and it has not lapsed since.
    func isLeading(at now: ContinuousClock.Instant) -> Bool {
        until.map { $0 > now } ?? false
    }

    /// The outcome of a renewal made at `now`: `held` the lease, `newly` taken by this renewal.
    mutating func renewed(held: Bool, newly: Bool, at now: ContinuousClock.Instant, lease: Duration) -> Change {
        let wasLeading = isLeading(at: now)
        until = held ? now + lease : nil
        if held && (newly || !wasLeading) { return .elected }
        if !held && wasLeading { return .lost }
        return .none
    }
}
