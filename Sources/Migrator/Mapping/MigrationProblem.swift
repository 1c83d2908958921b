/// One source row a bad-data rule had to handle: which row, what was wrong, what was done.
public struct MigrationProblem: Sendable, Codable, Equatable {
    public var table: String
    public var id: Int64
    public var problem: String
    public var action: String
}

/// The problems of a run: every one counted, the first `limit` kept for the report (a damaged
/// database could otherwise produce a report larger than the data).
public struct ProblemLog: Sendable {
    public private(set) var entries: [MigrationProblem] = []
    public private(set) var total = 0
    public private(set) var countsByTable: [String: Int] = [:]
    let limit: Int

    public init(limit: Int = 10_000) {
        self.limit = limit
    }

    public mutating func record(_ table: String, _ id: Int64, _ problem: String, _ action: String) {
        total += 1
        countsByTable[table, default: 0] += 1
        if entries.count < limit {
            entries.append(MigrationProblem(table: table, id: id, problem: problem, action: action))
        }
    }

    /// Adds the problems another log collected (a batch mapped in parallel).
    public mutating func merge(_ other: ProblemLog) {
        total += other.total
        for (table, count) in other.countsByTable { countsByTable[table, default: 0] += count }
        entries += other.entries.prefix(max(0, limit - entries.count))
    }
}
