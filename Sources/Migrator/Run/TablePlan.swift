/// Which mapped rows of a mutable table (users, settings, stickers, conversations) a run has to
/// write: new ids, and ids whose content digest differs from the one recorded when they were
/// last copied. Unchanged rows are not touched.
public struct TablePlan<Row: MigratedRow>: Sendable {
    public var all: [Row]
    public var pending: [Row] = []
    public var newIDs: [Int64] = []
    public var changed: Int64 = 0
    public var unchanged: Int64 = 0

    public init(rows: [Row], recorded: [Int64: [UInt8]]) {
        all = rows
        for row in rows {
            guard let digest = recorded[row.id] else {
                pending.append(row)
                newIDs.append(row.id)
                continue
            }
            if digest == row.digest {
                unchanged += 1
            } else {
                pending.append(row)
                changed += 1
            }
        }
    }

    public func counts(sourceRows: Int64) -> RunReport.TableCounts {
        var counts = RunReport.TableCounts()
        counts.sourceRows = sourceRows
        counts.new = Int64(newIDs.count)
        counts.changed = changed
        counts.unchanged = unchanged
        counts.skipped = sourceRows - Int64(all.count)
        return counts
    }
}

extension Array {
    /// The elements in consecutive arrays of `size` (the last one shorter).
    func chunks(of size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: Swift.max(size, 1)).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
