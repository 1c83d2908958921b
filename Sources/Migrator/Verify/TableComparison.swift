import Crypto
import Foundation

/// Source and target rows of one table compared batch by batch in id order: counts, a SHA-256
/// checksum of each side's canonical rows, and every differing row named with its first differing
/// field.
public struct TableComparison: Sendable, Codable {
    public var table: String
    public var sourceRows: Int64 = 0
    public var targetRows: Int64 = 0
    public var sourceChecksum = ""
    public var targetChecksum = ""
    public var rowsCompared: Int64 = 0
    public var differences: Int64 = 0

    enum CodingKeys: String, CodingKey {
        case table, differences
        case sourceRows = "source_rows", targetRows = "target_rows", sourceChecksum = "source_checksum"
        case targetChecksum = "target_checksum", rowsCompared = "rows_compared"
    }

    public var matches: Bool { differences == 0 && sourceRows == targetRows && sourceChecksum == targetChecksum }
}

/// Accumulates one table's comparison.
struct TableComparator {
    var result: TableComparison
    private var sourceHash = SHA256()
    private var targetHash = SHA256()
    let fieldNames: [String]

    init(table: MigratedTable) {
        result = TableComparison(table: table.rawValue)
        fieldNames = switch table {
        case .users: ["id", "username", "password_hash", "display_name", "bio", "avatar", "created_at"]
        case .userSettings: ["user_id", "theme", "notifications_enabled", "language"]
        case .stickers: ["id", "pack", "label", "image"]
        case .conversations: ["id", "type", "direct_key", "owner_id", "members"]
        case .messages: ["id", "chat_id", "sender_id", "content", "message_type", "sticker_id", "file", "duration_seconds", "created_at"]
        }
    }

    /// Compares one id range; both lists are in id order.
    mutating func compare(source: [(Int64, String)], target: [(Int64, String)], differences: inout [MigrationProblem], limit: Int) {
        result.sourceRows += Int64(source.count)
        result.targetRows += Int64(target.count)
        for (_, line) in source { sourceHash.update(data: Data((line + "\n").utf8)) }
        for (_, line) in target { targetHash.update(data: Data((line + "\n").utf8)) }
        let targetByID = Dictionary(target, uniquingKeysWith: { first, _ in first })
        let sourceIDs = Set(source.map(\.0))
        for (id, line) in source {
            result.rowsCompared += 1
            guard let other = targetByID[id] else {
                note(id, "missing in the target", &differences, limit)
                continue
            }
            if other != line { note(id, describe(source: line, target: other), &differences, limit) }
        }
        for (id, _) in target where !sourceIDs.contains(id) {
            note(id, "in the target but not in the (mapped) source", &differences, limit)
        }
    }

    private mutating func note(_ id: Int64, _ problem: String, _ differences: inout [MigrationProblem], _ limit: Int) {
        result.differences += 1
        if differences.count < limit {
            differences.append(MigrationProblem(table: result.table, id: id, problem: problem, action: "difference"))
        }
    }

    func describe(source: String, target: String) -> String {
        let left = source.components(separatedBy: Canonical.separator)
        let right = target.components(separatedBy: Canonical.separator)
        for index in 0..<max(left.count, right.count) {
            let a = index < left.count ? left[index] : "?"
            let b = index < right.count ? right[index] : "?"
            if a != b {
                let name = index < fieldNames.count ? fieldNames[index] : "field \(index)"
                return "\(name) differs: source \(Self.show(a)), target \(Self.show(b))"
            }
        }
        return "differs"
    }

    static func show(_ value: String) -> String {
        value == Canonical.null ? "NULL" : String(value.prefix(60)).debugDescription
    }

    mutating func finish() -> TableComparison {
        result.sourceChecksum = sourceHash.finalize().map { String(format: "%02x", $0) }.joined()
        result.targetChecksum = targetHash.finalize().map { String(format: "%02x", $0) }.joined()
        return result
    }
}
