import Synchronization

/// Builds the suspended primary key and secondary indexes of `messages` on the partitions a bulk
/// copy has moved past, one partition at a time on a connection of its own, while later months are
/// being copied: the machine's idle moments during the copy do work that would otherwise wait for
/// its end, and the rebuild there (`restoreSuspendedIndexes`, CREATE INDEX on the partitioned
/// table; `restoreSuspendedConstraints` for the key) attaches what a partition already has instead
/// of building it again. What a killed run built is attached the same way by the next one.
/// api_legacy stamps messages as it inserts them, so the copy (in id order) moves through the
/// months in order; a partition that still gets rows after its indexes were built stays correct,
/// its inserts are only slower.
final class EarlyIndexBuilder: Sendable {
    private let target: TargetStore
    private let primaryKey: TargetStore.SuspendedPrimaryKey?
    private let indexes: [TargetStore.SuspendedIndex]
    private let months: AsyncStream<MonthOfYear>
    private let continuation: AsyncStream<MonthOfYear>.Continuation
    private let stopped = Atomic<Bool>(false)

    init(target: TargetStore, primaryKey: TargetStore.SuspendedPrimaryKey?, indexes: [TargetStore.SuspendedIndex]) {
        self.target = target
        self.primaryKey = primaryKey
        self.indexes = indexes
        (months, continuation) = AsyncStream.makeStream(of: MonthOfYear.self)
    }

    /// Months the copy has left behind.
    func completed(_ months: some Sequence<MonthOfYear>) {
        for month in months { continuation.yield(month) }
    }

    /// No more months: the builds not started yet are left to the rebuild at the end, which runs
    /// them two at a time.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        continuation.finish()
    }

    /// Builds until `stop`. A failed build ends the early builds, not the run: the rebuild at the
    /// end builds whatever is missing (and reports a failure that is not passing).
    func run() async {
        for await month in months {
            do {
                if let primaryKey, !stopped.load(ordering: .relaxed) {
                    try await target.build(primaryKey, onPartitionOf: month)
                }
                for index in indexes {
                    guard !stopped.load(ordering: .relaxed) else { return }
                    try await target.build(index, onPartitionOf: month)
                }
            } catch {
                target.logger.debug("early index build stopped", metadata: ["error": "\(String(reflecting: error))"])
                return
            }
        }
    }
}
