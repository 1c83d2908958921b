import Foundation
import Logging
import MessengerCore

/// `migrator run`: plan (read the source, map it, compare with what earlier runs recorded,
/// check the target for conflicting rows), then copy table by table in checkpointed batches.
/// Nothing is written before the plan has found no conflict.
public struct MigrationRun: Sendable {
    public struct Options: Sendable {
        public var dryRun = false
        /// Rows per transaction for messages (and for the other tables).
        public var messageBatchSize = 20_000
        public var rowBatchSize = 5_000
        /// At least this many messages to copy makes a bulk copy: no per-row foreign key checks
        /// (`bulkForeignKeys`), the primary key and secondary indexes of `messages` dropped and
        /// built once at the end. A cutover catch-up stays below it.
        public var suspendForeignKeysAbove: Int64 = 100_000
        /// How a bulk copy avoids the per-row foreign key checks.
        public var bulkForeignKeys = BulkForeignKeys.auto
        /// Makes `migrator run` stop (exit 1) after this many message batches: lets the tests
        /// interrupt a run at a precise point, as a crash would. Not for operators.
        public var stopAfterMessageBatches: Int?
        /// Makes `migrator run` wait this long after each pair of message batches: lets the tests
        /// kill a run part-way through a copy that would otherwise end first. Not for operators.
        public var pauseAfterMessageBatches: Duration?
        /// Makes `migrator run` wait a minute once its message checkpoint has reached this source
        /// id: a test that means to kill the run part-way still finds it running when its own
        /// task was kept waiting on a loaded machine. Not for operators.
        public var holdAfterMessageID: Int64?

        public init() {}
    }

    let source: LegacySource
    let target: TargetStore
    let objects: LegacyObjects
    let mapping: LegacyMapping
    let options: Options
    let progress: ProgressDisplay
    let logger: Logger

    public init(
        source: LegacySource, target: TargetStore, objects: LegacyObjects, options: Options,
        progress: ProgressDisplay, logger: Logger
    ) {
        self.source = source
        self.target = target
        self.objects = objects
        self.mapping = LegacyMapping(buckets: target.buckets)
        self.options = options
        self.progress = progress
        self.logger = logger
    }

    /// What the plan found: the mapped mutable tables and where messages stand.
    struct Plan: Sendable {
        var marks: LegacySource.Marks
        var users: TablePlan<MigratedUser>
        var settings: TablePlan<MigratedSettings>
        var stickers: TablePlan<MigratedSticker>
        var chats: TablePlan<MigratedChat>
        var messageContext: LegacyMapping.MessageContext
        var messageCheckpoint: Int64
        var pendingMessages: Int64
        var sourceCounts: [MigratedTable: Int64]
        /// Months whose partitions the plan created (a bulk copy's, see `PlanStart`).
        var partitions: Set<MonthOfYear> = []
    }

    /// What the plan starts from, read before anything else: the source's snapshot, where
    /// messages stand, and the messages the target holds past the checkpoint (a conflict). Read
    /// first because a bulk copy then creates its partitions while the rest of the plan is made,
    /// and creating a partition locks `messages` until the plan decides.
    struct PlanStart: Sendable {
        var marks: LegacySource.Marks
        var messageCheckpoint: Int64
        var pendingMessages: Int64
        var messageConflicts: [Int64]
    }

    public func execute(startedAt: Date = Date()) async throws -> RunReport {
        var report = RunReport(
            source: source.database.path, layout: source.layout.generation.rawValue, dryRun: options.dryRun,
            startedAt: RunReport.timestamp(startedAt))
        var problems = ProblemLog()
        try await target.requireSchema()
        let start = try await planStart()
        let bulk = isBulkCopy(pendingMessages: start.pendingMessages)
        // A bulk copy's indexes are suspended and its partitions created while the plan is made
        // (one transaction, committed only when the run goes ahead): ~0.2 s for 36 months, off
        // the copy's path.
        let span = bulk ? try partitionSpan(start) : nil
        let planned = try await target.preparingBulkCopy(partitions: span) { () async throws -> (result: (Plan, [MigrationProblem]), commit: Bool) in
            let plan = try await makePlan(start, upgradeTime: startedAt, problems: &problems)
            let conflicts = try await self.conflicts(plan, messages: start.messageConflicts)
            return ((plan, conflicts), conflicts.isEmpty)
        }
        var (plan, conflicts) = planned.result
        plan.partitions = planned.created
        report.tables = [
            MigratedTable.users.rawValue: plan.users.counts(sourceRows: plan.sourceCounts[.users] ?? 0),
            MigratedTable.userSettings.rawValue: plan.settings.counts(sourceRows: plan.sourceCounts[.userSettings] ?? 0),
            MigratedTable.stickers.rawValue: plan.stickers.counts(sourceRows: plan.sourceCounts[.stickers] ?? 0),
            MigratedTable.conversations.rawValue: plan.chats.counts(sourceRows: plan.sourceCounts[.conversations] ?? 0),
        ]
        var messageCounts = RunReport.TableCounts()
        messageCounts.sourceRows = plan.sourceCounts[.messages] ?? 0
        messageCounts.new = plan.pendingMessages
        messageCounts.unchanged = messageCounts.sourceRows - plan.pendingMessages
        report.tables[MigratedTable.messages.rawValue] = messageCounts

        report.conflicts = conflicts
        if !report.conflicts.isEmpty {
            return finish(report, problems: problems, outcome: "refused", code: .refused, startedAt: startedAt)
        }
        if options.dryRun {
            // The messages' own problems are found while streaming them; a dry run maps them too.
            var counts = report.tables[MigratedTable.messages.rawValue] ?? .init()
            counts.skipped = try await streamMessages(plan, problems: &problems)
            report.tables[MigratedTable.messages.rawValue] = counts
            return finish(report, problems: problems, outcome: "dry-run", code: problems.total > 0 ? .completedWithProblems : .success, startedAt: startedAt)
        }

        let runID = try await target.recordRunStart(sourcePath: source.database.path)
        do {
            try await write(plan, report: &report, problems: &problems)
            let finished = finish(report, problems: problems, outcome: "completed", code: problems.total > 0 ? .completedWithProblems : .success, startedAt: startedAt)
            try await target.recordRunEnd(id: runID, outcome: finished.outcome, report: finished.json())
            return finished
        } catch {
            var failed = finish(report, problems: problems, outcome: "failed", code: .failure, startedAt: startedAt)
            failed.error = "\(error)"
            try? await target.recordRunEnd(id: runID, outcome: "failed", report: failed.json())
            throw RunFailure(report: failed, underlying: error)
        }
    }

    public struct RunFailure: Error, CustomStringConvertible {
        public let report: RunReport
        public let underlying: any Error
        public var description: String { "\(underlying)" }
    }

    func finish(_ report: RunReport, problems: ProblemLog, outcome: String, code: MigratorExitCode, startedAt: Date) -> RunReport {
        var report = report
        report.outcome = outcome
        report.exitCode = code
        report.finishedAt = RunReport.timestamp(Date())
        report.durationSeconds = Date().timeIntervalSince(startedAt)
        report.rowsWritten = report.tables.values.reduce(0) { $0 + $1.written }
        report.rowsPerSecond = report.durationSeconds > 0 ? Double(report.rowsWritten) / report.durationSeconds : 0
        report.problemsTotal = problems.total
        report.problemsByTable = problems.countsByTable
        report.problems = problems.entries
        return report
    }

    // MARK: plan

    func planStart() async throws -> PlanStart {
        let marks = try source.marks()
        let checkpoint = try await target.checkpoint(MigratedTable.messages.rawValue)
        let pending = try source.database.integer(
            "SELECT count(*) FROM messages WHERE id > ? AND id <= ?",
            [.integer(checkpoint.lastSourceID), .integer(marks.messages)]) ?? 0
        return PlanStart(
            marks: marks, messageCheckpoint: checkpoint.lastSourceID, pendingMessages: pending,
            messageConflicts: try await target.messagesPastCheckpoint(after: checkpoint.lastSourceID, upTo: marks.messages))
    }

    func makePlan(_ start: PlanStart, upgradeTime: Date, problems: inout ProblemLog) async throws -> Plan {
        // The messages up to the checkpoint plus the pending ones: on a first run the first count
        // is of an empty range, instead of a second count of the whole table.
        let messageCount = try source.count("messages", upTo: min(start.messageCheckpoint, start.marks.messages)) + start.pendingMessages
        let mapped = try MappedSource.load(
            source, marks: start.marks, messageCount: messageCount, mapping: mapping, upgradeTime: upgradeTime, problems: &problems)
        return Plan(
            marks: mapped.marks,
            users: TablePlan(rows: mapped.users, recorded: try await target.digests(MigratedTable.users.rawValue)),
            settings: TablePlan(rows: mapped.settings, recorded: try await target.digests(MigratedTable.userSettings.rawValue)),
            stickers: TablePlan(rows: mapped.stickers, recorded: try await target.digests(MigratedTable.stickers.rawValue)),
            chats: TablePlan(rows: mapped.chats, recorded: try await target.digests(MigratedTable.conversations.rawValue)),
            messageContext: mapped.messageContext, messageCheckpoint: start.messageCheckpoint,
            pendingMessages: start.pendingMessages, sourceCounts: mapped.sourceCounts)
    }

    /// Rows the target holds under the ids (or unique names) the run would write, that earlier
    /// runs did not write. Any of them refuses the whole run.
    func conflicts(_ plan: Plan, messages: [Int64]) async throws -> [MigrationProblem] {
        // Five independent lookups, at once: on a first run they are most of the plan's time.
        let names = plan.users.pending.map { LegacyMapping.asciiCasefold($0.username) }
        async let users = target.existingIDs(.users, among: plan.users.newIDs)
        async let nameHolders = target.usersHoldingNames(names, excluding: plan.users.all.map(\.id))
        async let stickers = target.existingIDs(.stickers, among: plan.stickers.newIDs)
        async let chats = target.existingIDs(.conversations, among: plan.chats.newIDs)
        async let pairHolders = target.chatsHoldingDirectKeys(plan.chats.pending.map(\.directKey), excluding: plan.chats.all.map(\.id))

        var found: [MigrationProblem] = []
        for id in try await users {
            found.append(.init(table: "users", id: id, problem: "the target already has a user with this id that the migrator did not copy", action: "run refused"))
        }
        let byName = Dictionary(plan.users.all.map { (LegacyMapping.asciiCasefold($0.username), $0.id) }, uniquingKeysWith: { first, _ in first })
        for holder in try await nameHolders {
            let sourceID = byName[LegacyMapping.asciiCasefold(holder.username)] ?? 0
            found.append(.init(table: "users", id: sourceID, problem: "username \(holder.username.debugDescription) already belongs to target user \(holder.id)", action: "run refused"))
        }
        for id in try await stickers {
            found.append(.init(table: "stickers", id: id, problem: "the target already has a sticker with this id that the migrator did not copy", action: "run refused"))
        }
        for id in try await chats {
            found.append(.init(table: "conversations", id: id, problem: "the target already has a chat with this id that the migrator did not copy", action: "run refused"))
        }
        let byKey = Dictionary(plan.chats.all.map { ($0.directKey, $0.id) }, uniquingKeysWith: { first, _ in first })
        for holder in try await pairHolders {
            found.append(.init(table: "conversations", id: byKey[holder.key] ?? 0, problem: "the pair \(holder.key) already has target chat \(holder.id)", action: "run refused"))
        }
        for id in messages {
            found.append(.init(table: "messages", id: id, problem: "the target already has a message with this id that the migrator did not copy", action: "run refused"))
        }
        return found
    }

    // MARK: write

    func write(_ plan: Plan, report: inout RunReport, problems: inout ProblemLog) async throws {
        // Sequences first: a gateway already serving cannot hand out an id this run will write.
        let highest = try sequenceFloors(plan)
        try await target.advanceSequences(pastSourceIDs: highest)

        try await writeBatches(plan.users.pending, table: .users, report: &report) { batch in
            let avatars = batch.compactMap(\.avatar)
            let outcomes = try await objects.ensureAll(avatars, dryRun: false)
            var sizes: [ObjectReference: Int64] = [:]
            for user in batch {
                guard let avatar = user.avatar else { continue }
                let outcome = outcomes[avatar] ?? .missing
                if case .present(let size?) = outcome { sizes[avatar] = size }
                if let problem = outcome.problem("avatar object", avatar) {
                    problems.record("users", user.id, problem, "registered anyway; verify lists it")
                }
            }
            try await target.writeUsers(batch, avatarSizes: sizes)
        }
        try await writeBatches(plan.settings.pending, table: .userSettings, report: &report) { batch in
            try await target.writeSettings(batch)
        }
        let uploader = plan.users.all.first?.id ?? 0
        try await writeBatches(plan.stickers.pending, table: .stickers, report: &report) { batch in
            let outcomes = try await objects.ensureAll(batch.map(\.image), dryRun: false)
            for sticker in batch {
                if let problem = (outcomes[sticker.image] ?? .missing).problem("image", sticker.image) {
                    problems.record("stickers", sticker.id, problem, "registered anyway; verify lists it")
                }
            }
            try await target.writeStickers(batch, uploaderID: uploader)
        }
        // A bulk copy (a first run) writes chats, chat_members and messages without the per-row
        // foreign key checks (`BulkForeignKeys`) and drops the primary key and secondary indexes
        // of messages, restoring what it dropped at the end. A killed bulk copy left them
        // dropped: keep them so for another bulk copy, restore them first otherwise.
        let bulk = isBulkCopy(pendingMessages: plan.pendingMessages)
        var writer = target
        if bulk {
            report.bulkForeignKeys = try await bulkForeignKeys()
            if report.bulkForeignKeys == .replicaRole {
                writer.skipsForeignKeyTriggers = true
            } else {
                try await target.suspendForeignKeys()
            }
            // The plan suspends them when it creates partitions (`preparingBulkCopy`).
            if plan.partitions.isEmpty { try await target.suspendMessageIndexes() }
        } else {
            try await target.restoreSuspendedIndexes()
            try await target.restoreSuspendedConstraints()
        }
        var messages = report.tables[MigratedTable.messages.rawValue] ?? .init()
        do {
            try await writeConversations(plan.chats, to: writer, report: &report)
            let earlyIndexes = bulk
                ? EarlyIndexBuilder(
                    target: target, primaryKey: try await target.suspendedMessagePrimaryKey(), indexes: try await target.suspendedIndexes())
                : nil
            messages.skipped = try await streamMessages(
                plan, to: writer, existingPartitions: plan.partitions, earlyIndexes: earlyIndexes, problems: &problems, counts: &messages)
        } catch {
            report.tables[MigratedTable.messages.rawValue] = messages
            // Only a clean error gets here; a kill leaves them for the next run to restore.
            if bulk {
                _ = try? await target.restoreSuspendedIndexes()
                _ = try? await target.restoreSuspendedConstraints()
            }
            throw error
        }
        report.tables[MigratedTable.messages.rawValue] = messages
        if bulk {
            progress.begin(table: "indexes, foreign keys", total: 2)
            try await target.restoreSuspendedIndexes()
            progress.advance(by: 1)
            try await target.restoreSuspendedConstraints()
            progress.advance(by: 1)
            progress.finish()
        }
        try await target.advanceSequences(pastSourceIDs: highest)
    }

    /// Whether a run with this many messages to copy is a bulk copy (`Options.suspendForeignKeysAbove`).
    func isBulkCopy(pendingMessages: Int64) -> Bool {
        !options.dryRun && pendingMessages >= options.suspendForeignKeysAbove
    }

    /// The mode of this bulk copy: `auto` becomes `replicaRole` when the role may set it.
    func bulkForeignKeys() async throws -> BulkForeignKeys {
        switch options.bulkForeignKeys {
        case .recreate: return .recreate
        case .auto: return await target.maySetReplicaRole() ? .replicaRole : .recreate
        case .replicaRole:
            guard await target.maySetReplicaRole() else { throw MigratorFailure.replicaRoleDenied }
            return .replicaRole
        }
    }

    func sequenceFloors(_ plan: Plan) throws -> [MigratedTable: Int64] {
        let v2 = source.layout.generation == .v2
        return [
            .users: max(plan.marks.users, try source.autoincrementHighWater("users")),
            .conversations: v2
                ? max(plan.marks.conversations, try source.autoincrementHighWater("conversations"))
                : Int64(plan.chats.all.count),
            .stickers: max(plan.marks.stickers, try source.autoincrementHighWater("stickers")),
            .messages: max(plan.marks.messages, try source.autoincrementHighWater("messages")),
        ]
    }

    func writeBatches<Row: MigratedRow>(
        _ rows: [Row], table: MigratedTable, report: inout RunReport, _ body: ([Row]) async throws -> Void
    ) async throws {
        progress.begin(table: table.rawValue, total: Int64(rows.count))
        for batch in rows.chunks(of: options.rowBatchSize) {
            try await body(batch)
            report.tables[table.rawValue, default: .init()].written += Int64(batch.count)
            progress.advance(by: Int64(batch.count))
        }
        progress.finish()
    }

    /// Conversations in batches, two transactions at a time on two connections. Each commits its
    /// chats, members and digests together, and what a run writes is decided by the digests, so
    /// the order of the two commits does not matter to a resume. New chats (a first run's) are
    /// COPYed as they are; changed ones are merged into what the target holds.
    func writeConversations(_ plan: TablePlan<MigratedChat>, to target: TargetStore, report: inout RunReport) async throws {
        let newIDs = Set(plan.newIDs)
        let batches = plan.pending.filter { newIDs.contains($0.id) }.chunks(of: options.rowBatchSize).map { (rows: $0, new: true) }
            + plan.pending.filter { !newIDs.contains($0.id) }.chunks(of: options.rowBatchSize).map { (rows: $0, new: false) }
        progress.begin(table: MigratedTable.conversations.rawValue, total: Int64(plan.pending.count))
        var start = 0
        while start < batches.count {
            let pair = batches[start..<min(start + 2, batches.count)]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for batch in pair {
                    group.addTask { try await batch.new ? target.writeNewChats(batch.rows) : target.writeChats(batch.rows) }
                }
                try await group.waitForAll()
            }
            let written = pair.reduce(0) { $0 + $1.rows.count }
            report.tables[MigratedTable.conversations.rawValue, default: .init()].written += Int64(written)
            progress.advance(by: Int64(written))
            start += pair.count
        }
        progress.finish()
    }

    // MARK: messages

    /// Streams messages past the checkpoint in id order, batch by batch; returns how many source
    /// messages a rule skipped.
    func streamMessages(_ plan: Plan, problems: inout ProblemLog) async throws -> Int64 {
        var counts = RunReport.TableCounts()
        return try await streamMessages(plan, to: nil, existingPartitions: [], earlyIndexes: nil, problems: &problems, counts: &counts)
    }

    /// Spans longer than this are left to the per-batch partition path, so one absurd timestamp
    /// cannot make thousands of partitions.
    static let maxMonthsCreatedAhead = 240

    /// The months between the first and the last pending message's timestamps, whose partitions
    /// a bulk copy creates ahead (one at a time between message batches costs a round trip each,
    /// on the copy's critical path); nil when they cannot be told. Messages outside the span get
    /// their month's partition before their batch.
    func partitionSpan(_ start: PlanStart) throws -> (first: MonthOfYear, count: Int)? {
        guard let bounds = try source.messageTimeBounds(after: start.messageCheckpoint, upTo: start.marks.messages),
              let one = LegacyTimestamp.microseconds(parsing: bounds.first),
              let other = LegacyTimestamp.microseconds(parsing: bounds.last)
        else { return nil }
        let first = MonthOfYear(microseconds: min(one, other))
        let count = first.count(through: MonthOfYear(microseconds: max(one, other)))
        return (1...Self.maxMonthsCreatedAhead).contains(count) ? (first, count) : nil
    }

    /// One batch of source messages, mapped.
    struct MessageBatch: Sendable {
        var messages: [MigratedMessage] = []
        var problems = ProblemLog()
        var skipped: Int64 = 0
        var sourceRows = 0
        var lastSourceID: Int64?
        var months = Set<MonthOfYear>()
    }

    func readMessages(after: Int64, plan: Plan) throws -> MessageBatch {
        var batch = MessageBatch()
        batch.messages.reserveCapacity(options.messageBatchSize)
        var monthRange: Range<Int64> = 0..<0
        // Mapped as they are read: no array of source rows in between.
        _ = try source.messages(after: after, upTo: plan.marks.messages, limit: options.messageBatchSize) { row in
            batch.sourceRows += 1
            batch.lastSourceID = row.id
            guard let message = mapping.message(row, context: plan.messageContext, problems: &batch.problems) else {
                batch.skipped += 1
                return
            }
            if !monthRange.contains(message.createdAt) {
                let month = MonthOfYear(microseconds: message.createdAt)
                batch.months.insert(month)
                monthRange = month.microseconds
            }
            batch.messages.append(message)
        }
        return batch
    }

    /// Streams messages past the checkpoint in id order, two batches at a time (written
    /// concurrently, committed in order) to `target`, or nowhere for a dry run. The next pair is
    /// read and mapped from SQLite while the current one is written to PostgreSQL; `earlyIndexes`
    /// indexes the months the copy has left behind meanwhile.
    func streamMessages(
        _ plan: Plan, to target: TargetStore?, existingPartitions: Set<MonthOfYear>, earlyIndexes: EarlyIndexBuilder?,
        problems: inout ProblemLog, counts: inout RunReport.TableCounts
    ) async throws -> Int64 {
        guard let earlyIndexes else {
            return try await streamMessages(plan, to: target, existingPartitions: existingPartitions, problems: &problems, counts: &counts) { _ in }
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await earlyIndexes.run() }
            defer { earlyIndexes.stop() }
            return try await streamMessages(
                plan, to: target, existingPartitions: existingPartitions, problems: &problems, counts: &counts,
                monthsLeftBehind: earlyIndexes.completed)
        }
    }

    func streamMessages(
        _ plan: Plan, to target: TargetStore?, existingPartitions: Set<MonthOfYear>, problems: inout ProblemLog,
        counts: inout RunReport.TableCounts, monthsLeftBehind: ([MonthOfYear]) -> Void
    ) async throws -> Int64 {
        let write = target != nil
        var skipped: Int64 = 0
        var partitions = existingPartitions
        /// Months that got rows and were not yet reported as left behind.
        var filling = Set<MonthOfYear>()
        var batches = 0
        progress.begin(table: "messages", total: plan.pendingMessages)
        var current = try readPair(after: plan.messageCheckpoint, plan: plan)
        while let last = current.last?.lastSourceID {
            async let following = readPair(after: last, plan: plan)
            var writes: [TargetStore.MessageBatchWrite] = []
            for batch in current {
                guard let lastID = batch.lastSourceID else { continue }
                problems.merge(batch.problems)
                skipped += batch.skipped
                let registrations = try await voiceFiles(of: batch.messages, write: write, problems: &problems)
                writes.append(.init(messages: batch.messages, voiceFiles: registrations, lastSourceID: lastID))
            }
            if let target {
                let months = current.reduce(into: Set<MonthOfYear>()) { $0.formUnion($1.months) }
                let newMonths = months.subtracting(partitions)
                try await target.ensurePartitions(newMonths.sorted())
                partitions.formUnion(newMonths)
                try await target.writeMessages(writes)
                counts.written += Int64(writes.reduce(0) { $0 + $1.messages.count })
                batches += writes.count
                if let stop = options.stopAfterMessageBatches, batches >= stop {
                    throw MigratorFailure.interrupted(batches: batches)
                }
                if let pause = options.pauseAfterMessageBatches { try await Task.sleep(for: pause) }
                if let hold = options.holdAfterMessageID, last >= hold { try await Task.sleep(for: .seconds(60)) }
                filling.formUnion(months)
                if let earliest = months.min() {
                    let behind = filling.filter { $0 < earliest }
                    filling.subtract(behind)
                    monthsLeftBehind(behind.sorted())
                }
            }
            progress.advance(by: Int64(current.reduce(0) { $0 + $1.sourceRows }))
            current = try await following
        }
        progress.finish()
        return skipped
    }

    /// The next two batches (fewer at the end).
    func readPair(after: Int64, plan: Plan) throws -> [MessageBatch] {
        let first = try readMessages(after: after, plan: plan)
        guard let last = first.lastSourceID else { return [] }
        let second = try readMessages(after: last, plan: plan)
        return second.lastSourceID == nil ? [first] : [first, second]
    }

    /// Makes sure the voice files of `messages` are stored (uploading them from the uploads
    /// folder) and returns the files rows to register; a missing one is registered anyway.
    func voiceFiles(of messages: [MigratedMessage], write: Bool, problems: inout ProblemLog) async throws -> [TargetStore.FileRegistration] {
        let voices = messages.filter { $0.voice != nil }
        guard !voices.isEmpty else { return [] }
        let outcomes = try await objects.ensureAll(voices.compactMap(\.voice), dryRun: !write)
        var registrations: [TargetStore.FileRegistration] = []
        for message in voices {
            guard let voice = message.voice else { continue }
            var size: Int64?
            switch outcomes[voice] ?? .missing {
            case .present(let known): size = known
            case .missing: problems.record("messages", message.id, "voice file \(voice.key) is missing on disk and in the store", "registered anyway; verify lists it")
            case .notCopied(let reason): problems.record("messages", message.id, "voice file \(voice.key) was not copied from the source store: \(reason)", "registered anyway; verify lists it")
            }
            registrations.append(.init(object: voice, uploaderID: message.senderID, sizeBytes: size, createdAt: message.createdAt))
        }
        return registrations
    }
}
