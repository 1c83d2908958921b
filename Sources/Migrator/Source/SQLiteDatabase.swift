import CSQLite
import Foundation
import Synchronization

/// The legacy SQLite file, opened read-only through the system libsqlite3. The file is never
/// written: the connection is opened with `SQLITE_OPEN_READONLY` and a `mode=ro` URI, so even a
/// bug here cannot change api_legacy's data.
///
/// Every query runs to completion before it returns (`rows(...)` collects the batch), so no read
/// lock is held while the migrator waits on PostgreSQL: api_legacy keeps writing during a copy.
public final class SQLiteDatabase: Sendable {
    private let handle: Mutex<ConnectionHandle>
    public let path: String

    struct ConnectionHandle: ~Copyable {
        let pointer: OpaquePointer
        deinit { sqlite3_close_v2(pointer) }
    }

    public init(readOnlyPath path: String) throws(SQLiteError) {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw SQLiteError(message: "cannot read \(path)")
        }
        var pointer: OpaquePointer?
        let uri = "file:" + Self.uriEscaped(path) + "?mode=ro"
        let status = sqlite3_open_v2(uri, &pointer, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let pointer else {
            let message = pointer.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let pointer { sqlite3_close_v2(pointer) }
            throw SQLiteError(message: "cannot open \(path): \(message)")
        }
        // api_legacy holds its write lock for short transactions; wait for them like it does (5 s).
        sqlite3_busy_timeout(pointer, 5000)
        // Pages read through a memory map rather than a read() and a copy each (the migrator's
        // system CPU on a 1M-message copy: 0.20 → 0.15 s). SQLite maps read-only and handles a
        // writer meanwhile.
        sqlite3_exec(pointer, "PRAGMA mmap_size = \(Self.mappedBytes)", nil, nil, nil)
        self.handle = Mutex(ConnectionHandle(pointer: pointer))
        self.path = path
    }

    /// Up to 1 GiB of the file is mapped (address space only; pages come from the page cache).
    static let mappedBytes = 1 << 30

    private static func uriEscaped(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }

    /// Runs `sql` with `bindings` and hands every row to `read`, collecting what it returns.
    public func rows<Row>(
        _ sql: String, _ bindings: [SQLiteValue] = [], _ read: (SQLiteRow) throws -> Row
    ) throws -> [Row] {
        try handle.withLock { connection throws -> [Row] in
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(connection.pointer, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                throw SQLiteError(message: "\(String(cString: sqlite3_errmsg(connection.pointer))) in: \(sql)")
            }
            defer { sqlite3_finalize(statement) }
            for (index, value) in bindings.enumerated() {
                let position = Int32(index + 1)
                switch value {
                case .integer(let number): sqlite3_bind_int64(statement, position, number)
                case .text(let text): sqlite3_bind_text(statement, position, text, -1, Self.transient)
                }
            }
            var result: [Row] = []
            while true {
                let step = sqlite3_step(statement)
                if step == SQLITE_DONE { break }
                guard step == SQLITE_ROW else {
                    throw SQLiteError(message: "\(String(cString: sqlite3_errmsg(connection.pointer))) in: \(sql)")
                }
                result.append(try read(SQLiteRow(statement: statement)))
            }
            return result
        }
    }

    /// The first column of the first row as an integer, or nil.
    public func integer(_ sql: String, _ bindings: [SQLiteValue] = []) throws -> Int64? {
        try rows(sql, bindings) { $0.integer(0) }.first ?? nil
    }

    /// Column names of `table` (empty when the table does not exist).
    public func columns(of table: String) throws -> Set<String> {
        Set(try rows("SELECT name FROM pragma_table_info(?)", [.text(table)]) { $0.text(0).value })
    }

    /// Runs `body` inside one read transaction, so several queries see the same snapshot.
    public func snapshot<Result>(_ body: () throws -> Result) throws -> Result {
        _ = try rows("BEGIN") { _ in () }
        defer { _ = try? rows("COMMIT") { _ in () } }
        return try body()
    }

    // SQLITE_TRANSIENT: SQLite copies the bound text before the Swift string goes away.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

public enum SQLiteValue: Sendable {
    case integer(Int64)
    case text(String)
}

public struct SQLiteError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { "SQLite: \(message)" }
}

/// One result row while it is current: read it inside the `rows` callback only.
public struct SQLiteRow {
    let statement: OpaquePointer

    public func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(statement, column) == SQLITE_NULL
    }

    /// The column as an integer: INTEGER as is, REAL truncated, TEXT parsed; nil for NULL or
    /// text that is not a number (legacy columns are not type-enforced).
    public func integer(_ column: Int32) -> Int64? {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return sqlite3_column_int64(statement, column)
        case SQLITE_FLOAT:
            let value = sqlite3_column_double(statement, column)
            return value.isFinite && abs(value) < 9e18 ? Int64(value) : nil
        case SQLITE_NULL: return nil
        default: return Int64(text(column).value.trimmingCharacters(in: .whitespaces))
        }
    }

    /// The column's bytes as text, with what had to be repaired (see `LegacyText`).
    public func text(_ column: Int32) -> LegacyText {
        if sqlite3_column_type(statement, column) == SQLITE_NULL { return LegacyText(value: "", isNull: true) }
        let count = Int(sqlite3_column_bytes(statement, column))
        guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return LegacyText(value: "") }
        return LegacyText(bytes: UnsafeRawBufferPointer(start: bytes, count: count))
    }

    /// The column as text, nil for NULL.
    public func optionalText(_ column: Int32) -> LegacyText? {
        isNull(column) ? nil : text(column)
    }

    /// The column as a timestamp when it is text in the canonical `YYYY-MM-DD HH:MM:SS` form, read
    /// without making a string; nil otherwise (NULL, other forms: read those with `optionalText`).
    public func canonicalTimestamp(_ column: Int32) -> Int64? {
        guard sqlite3_column_type(statement, column) == SQLITE_TEXT, let text = sqlite3_column_text(statement, column) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return LegacyTimestamp.microseconds(canonical: UnsafeBufferPointer(start: text, count: count))
    }
}
