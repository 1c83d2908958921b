import Foundation
import Logging
import MessengerCore
import PostgresNIO

/// `migrator verify`: maps the source again exactly as `run` does and compares it with the
/// target, table by table (counts, checksums, every row), then checks that every object a
/// migrated row refers to is in the store and that every foreign key of the copied tables
/// resolves.
public struct Verification: Sendable {
    let source: LegacySource
    let reader: TargetRowReader
    let blobs: any BlobStore
    let mapping: LegacyMapping
    let progress: ProgressDisplay
    let batchSize: Int

    public init(
        source: LegacySource, client: PostgresClient, blobs: any BlobStore, buckets: BucketSettings,
        progress: ProgressDisplay, logger: Logger, batchSize: Int = 20_000
    ) {
        self.source = source
        self.reader = TargetRowReader(client: client, logger: logger)
        self.blobs = blobs
        self.mapping = LegacyMapping(buckets: buckets)
        self.progress = progress
        self.batchSize = batchSize
    }

    public struct Report: Sendable, Codable {
        public var command = "verify"
        public var source: String
        public var outcome = "identical"
        public var exitCode: MigratorExitCode = .success
        public var tables: [TableComparison] = []
        public var objectsChecked = 0
        public var objectsMissing: [ObjectReference] = []
        /// Foreign keys a killed bulk copy left dropped (`migrator run` re-creates them).
        public var suspendedConstraints: [String] = []
        /// Secondary indexes of `messages` a killed bulk copy left dropped (`migrator run` builds them).
        public var suspendedIndexes: [String] = []
        /// Foreign keys of chats, chat_members and messages with rows that refer to nothing.
        public var danglingReferences: [TargetStore.DanglingReference] = []
        public var differencesTotal: Int64 = 0
        /// The first differences (at most 1,000).
        public var differences: [MigrationProblem] = []

        enum CodingKeys: String, CodingKey {
            case command, source, outcome, tables, differences
            case exitCode = "exit_code", objectsChecked = "objects_checked", objectsMissing = "objects_missing"
            case differencesTotal = "differences_total", suspendedConstraints = "suspended_constraints"
            case suspendedIndexes = "suspended_indexes", danglingReferences = "dangling_references"
        }

        public func json() -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }

        public var summary: String {
            var lines = ["migrator verify: \(outcome) - \(source)"]
            for table in tables {
                lines.append(
                    "  \(table.table.padding(toLength: 14, withPad: " ", startingAt: 0)) source \(table.sourceRows), target \(table.targetRows), checksums \(table.sourceChecksum.prefix(12)) / \(table.targetChecksum.prefix(12)), differences \(table.differences)")
            }
            lines.append("  objects: \(objectsChecked) checked, \(objectsMissing.count) missing")
            for object in objectsMissing.prefix(10) { lines.append("    missing \(object.bucket)/\(object.key)") }
            if !suspendedConstraints.isEmpty {
                lines.append("  constraints (foreign keys, the primary key of messages) still suspended by an unfinished run (run `migrator run`): \(suspendedConstraints.joined(separator: ", "))")
            }
            if !suspendedIndexes.isEmpty {
                lines.append("  indexes still suspended by an unfinished run (run `migrator run`): \(suspendedIndexes.joined(separator: ", "))")
            }
            for reference in danglingReferences {
                lines.append("  \(reference.rows) rows of \(reference.table) refer to nothing through \(reference.constraint)")
            }
            for difference in differences.prefix(20) {
                lines.append("    \(difference.table) \(difference.id): \(difference.problem)")
            }
            return lines.joined(separator: "\n")
        }
    }

    public func execute() async throws -> Report {
        var report = Report(source: source.database.path)
        var problems = ProblemLog()
        let mapped = try MappedSource.load(source, mapping: mapping, upgradeTime: Date(), problems: &problems)
        let marks = mapped.marks
        var differences: [MigrationProblem] = []
        let limit = 1_000

        let whole: [(MigratedTable, [(Int64, String)], Int64)] = [
            (.users, mapped.users.map { ($0.id, $0.canonical) }, marks.users),
            (.userSettings, mapped.settings.map { ($0.id, $0.canonical) }, marks.users),
            (.stickers, mapped.stickers.map { ($0.id, $0.canonical) }, marks.stickers),
            (.conversations, mapped.chats.map { ($0.id, $0.canonical) }, max(marks.conversations, Int64(mapped.chats.last?.id ?? 0))),
        ]
        for (table, rows, mark) in whole {
            progress.begin(table: "verify \(table.rawValue)", total: Int64(rows.count))
            var comparator = TableComparator(table: table)
            let target = try await reader.rows(table, after: 0, upTo: mark)
            comparator.compare(source: rows, target: target, differences: &differences, limit: limit)
            report.tables.append(comparator.finish())
            progress.advance(by: Int64(rows.count))
            progress.finish()
        }

        // Messages: one id range at a time on both sides, never the whole table in memory.
        var comparator = TableComparator(table: .messages)
        progress.begin(table: "verify messages", total: mapped.sourceCounts[.messages] ?? 0)
        var after: Int64 = 0
        while after < marks.messages {
            let rows = try source.messages(after: after, upTo: marks.messages, limit: batchSize)
            let upTo = rows.last?.id ?? marks.messages
            let sourceRows = rows.compactMap { mapping.message($0, context: mapped.messageContext, problems: &problems) }
                .map { ($0.id, $0.canonical) }
            let targetRows = try await reader.rows(.messages, after: after, upTo: upTo)
            comparator.compare(source: sourceRows, target: targetRows, differences: &differences, limit: limit)
            progress.advance(by: Int64(rows.count))
            after = upTo
        }
        progress.finish()
        report.tables.append(comparator.finish())

        let objects = try await reader.referencedObjects(marks: marks)
        report.objectsChecked = objects.count
        report.objectsMissing = try await missing(objects)

        let target = TargetStore(client: reader.client, buckets: mapping.buckets, logger: reader.logger)
        report.suspendedConstraints = try await target.suspendedConstraints()
        report.suspendedIndexes = try await target.suspendedIndexNames()
        report.danglingReferences = try await target.danglingReferences()
        report.differencesTotal = report.tables.reduce(0) { $0 + $1.differences }
        report.differences = differences
        if !report.tables.allSatisfy(\.matches) || !report.objectsMissing.isEmpty || !report.suspendedConstraints.isEmpty
            || !report.suspendedIndexes.isEmpty || !report.danglingReferences.isEmpty {
            report.outcome = "different"
            report.exitCode = .differences
        }
        return report
    }

    func missing(_ objects: [ObjectReference]) async throws -> [ObjectReference] {
        var missing: [ObjectReference] = []
        try await withThrowingTaskGroup(of: (ObjectReference, Bool).self) { group in
            var pending = objects.makeIterator()
            for _ in 0..<8 {
                guard let object = pending.next() else { break }
                group.addTask { (object, try await blobs.exists(bucket: object.bucket, key: object.key)) }
            }
            while let (object, present) = try await group.next() {
                if !present { missing.append(object) }
                if let object = pending.next() {
                    group.addTask { (object, try await blobs.exists(bucket: object.bucket, key: object.key)) }
                }
            }
        }
        return missing.sorted { ($0.bucket, $0.key) < ($1.bucket, $1.key) }
    }
}
