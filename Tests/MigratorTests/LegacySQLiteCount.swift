import CSQLite

/// Counts rows of a fixture with a plain SQLite connection (the expected totals of a test).
struct LegacySQLiteCount {
    let path: String

    init(path: String) throws {
        self.path = path
    }

    func count(_ table: String) throws -> Int64 {
        var database: OpaquePointer?
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let database else {
            throw FixtureError("cannot open \(path)")
        }
        defer { sqlite3_close(database) }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, "SELECT count(*) FROM \(table)", -1, &statement, nil) == SQLITE_OK, let statement else {
            throw FixtureError("cannot count \(table)")
        }
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw FixtureError("cannot count \(table)") }
        return sqlite3_column_int64(statement, 0)
    }
}
