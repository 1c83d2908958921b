import Foundation

/// What `migrator run` did, printed as a summary and written as JSON (`--report`).
public struct RunReport: Sendable, Codable {
    public struct TableCounts: Sendable, Codable {
        /// Source rows considered (up to the run's snapshot of the highest id).
        public var sourceRows: Int64 = 0
        public var new: Int64 = 0
        public var changed: Int64 = 0
        public var unchanged: Int64 = 0
        /// Source rows a bad-data rule left out.
        public var skipped: Int64 = 0
        /// Rows written by this run.
        public var written: Int64 = 0

        enum CodingKeys: String, CodingKey {
            case sourceRows = "source_rows", new, changed, unchanged, skipped, written
        }
    }

    public var command = "run"
    public var source: String
    public var layout: String
    public var dryRun: Bool
    public var startedAt: String
    public var finishedAt: String?
    public var durationSeconds: Double = 0
    public var outcome: String = "running"
    public var exitCode: MigratorExitCode = .success
    public var tables: [String: TableCounts] = [:]
    public var rowsWritten: Int64 = 0
    public var rowsPerSecond: Double = 0
    /// How this run's bulk copy avoided the per-row foreign key checks; nil when it was no bulk copy.
    public var bulkForeignKeys: BulkForeignKeys?
    public var conflicts: [MigrationProblem] = []
    public var problemsTotal = 0
    public var problemsByTable: [String: Int] = [:]
    /// The first problems (at most 10,000; `problems_total` counts all).
    public var problems: [MigrationProblem] = []
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case command, source, layout, tables, outcome, conflicts, problems, error
        case dryRun = "dry_run", startedAt = "started_at", finishedAt = "finished_at"
        case durationSeconds = "duration_seconds", exitCode = "exit_code", rowsWritten = "rows_written"
        case rowsPerSecond = "rows_per_second", bulkForeignKeys = "bulk_foreign_keys", problemsTotal = "problems_total", problemsByTable = "problems_by_table"
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Human-readable lines for the terminal.
    public var summary: String {
        var lines = ["migrator run: \(outcome)\(dryRun ? " (dry run: nothing written)" : "") - \(source) (\(layout) layout)"]
        for table in MigratedTable.allCases {
            guard let counts = tables[table.rawValue] else { continue }
            lines.append(
                "  \(table.rawValue.padding(toLength: 14, withPad: " ", startingAt: 0)) source \(counts.sourceRows), new \(counts.new), changed \(counts.changed), unchanged \(counts.unchanged), skipped \(counts.skipped), written \(counts.written)")
        }
        lines.append(String(format: "  %lld rows written in %.1f s (%.0f rows/s)", rowsWritten, durationSeconds, rowsPerSecond))
        if !conflicts.isEmpty {
            lines.append("  REFUSED: the target already holds other data under the same ids (\(conflicts.count) shown):")
            for conflict in conflicts.prefix(20) {
                lines.append("    \(conflict.table) \(conflict.id): \(conflict.problem)")
            }
        }
        if problemsTotal > 0 {
            lines.append("  \(problemsTotal) source rows handled by bad-data rules (see the report):")
            for problem in problems.prefix(10) {
                lines.append("    \(problem.table) \(problem.id): \(problem.problem) -> \(problem.action)")
            }
        }
        if let error { lines.append("  error: \(error)") }
        return lines.joined(separator: "\n")
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
