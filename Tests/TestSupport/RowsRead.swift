public import Postgres

/// The rows of `table` that `body` read, by any scan, in a transaction of its own that is rolled
/// back. Plan tests use it to tell a statement that reads what it handles from one that reads a
/// whole table. The session's counts are reported (and reset) only between transactions, so
/// both readings inside one transaction see the same run of counts.
public func rowsRead(of table: String, on connection: isolated PostgresConnection,
                     by body: (isolated PostgresConnection) throws -> Void) throws -> Int {
    let counted: PostgresQuery = """
        SELECT pg_stat_get_xact_tuples_returned(\(table)::regclass) + pg_stat_get_xact_tuples_fetched(\(table)::regclass)
        """
    try connection.execute("BEGIN")
    do {
        let before = try connection.query(counted).scalar(Int.self)
        try body(connection)
        let read = try connection.query(counted).scalar(Int.self) - before
        try connection.execute("ROLLBACK")
        return read
    } catch {
        _ = try? connection.execute("ROLLBACK")
        throw error
    }
}
