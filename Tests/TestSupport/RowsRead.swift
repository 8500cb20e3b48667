public import Postgres

/// What `body` read of relation `table`, in a transaction of its own that is rolled back. For a
/// table, the rows its sequential and bitmap scans returned (lookups through an index count on
/// the index); for an index, the entries its scans returned plus the rows fetched through them.
/// Plan tests use it to tell a statement that reads what it handles from one that reads a whole
/// table or index.
public func rowsRead(of table: String, on connection: isolated PostgresConnection,
                     by body: (isolated PostgresConnection) async throws -> Void) async throws -> Int {
    try await counted("""
        SELECT pg_stat_get_xact_tuples_returned(\(table)::regclass) + pg_stat_get_xact_tuples_fetched(\(table)::regclass)
        """, on: connection, by: body)[0]
}

/// The rows of `table` that `body` updated, and how many of those updates were HOT (the new
/// version on the same page, no index touched), in a transaction of its own that is rolled back.
public func rowsUpdated(of table: String, on connection: isolated PostgresConnection,
                        by body: (isolated PostgresConnection) async throws -> Void) async throws -> (all: Int, hot: Int) {
    let counts = try await counted("""
        SELECT pg_stat_get_xact_tuples_updated(\(table)::regclass), pg_stat_get_xact_tuples_hot_updated(\(table)::regclass)
        """, on: connection, by: body)
    return (counts[0], counts[1])
}

/// The change across `body` in each count of the one row `query` returns. The session's counts are reported
/// (and reset) only between transactions, so both readings inside one transaction see the same
/// run of counts; work `body` does in savepoints counts as well.
private func counted(_ query: PostgresQuery, on connection: isolated PostgresConnection,
                     by body: (isolated PostgresConnection) async throws -> Void) async throws -> [Int] {
    func read() throws -> [Int] {
        let result = try connection.query(query)
        let row = result[0]  // a SELECT without FROM: always one row
        return try (0..<result.columnCount).map { try row.decode(Int.self, at: $0) }
    }
    try connection.execute("BEGIN")
    do {
        let before = try read()
        try await body(connection)
        let after = try read()
        try connection.execute("ROLLBACK")
        return zip(after, before).map { $0 - $1 }
    } catch {
        _ = try? connection.execute("ROLLBACK")
        throw error
    }
}
