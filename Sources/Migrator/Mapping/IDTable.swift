/// Values by legacy row id, for the lookups every message makes (its conversation, its sender).
/// api_legacy's ids come from AUTOINCREMENT, so they are nearly dense: then the values sit in an
/// array indexed by id (one memory access per lookup, where a dictionary of 50,000 entries costs a
/// hash and a few cache misses). Ids too sparse for that (a table with a few huge ids) fall back
/// to a dictionary.
public struct IDTable<Value: Sendable>: Sendable {
    private enum Storage: Sendable {
        case dense([Value?])
        case sparse([Int64: Value])
    }

    private let storage: Storage

    /// An array is used while it has at most four slots per value (plus a small allowance).
    public init(_ entries: [(id: Int64, value: Value)]) {
        let highest = entries.map(\.id).max() ?? 0
        let lowest = entries.map(\.id).min() ?? 0
        if lowest >= 0, highest <= Int64(entries.count) * 4 + 4_096 {
            var slots = [Value?](repeating: nil, count: Int(highest) + 1)
            for entry in entries { slots[Int(entry.id)] = entry.value }
            storage = .dense(slots)
        } else {
            storage = .sparse(Dictionary(entries.map { ($0.id, $0.value) }, uniquingKeysWith: { _, last in last }))
        }
    }

    public subscript(id: Int64) -> Value? {
        switch storage {
        case .dense(let slots):
            guard id >= 0, id < Int64(slots.count) else { return nil }
            return slots[Int(id)]
        case .sparse(let values):
            return values[id]
        }
    }

    public func contains(_ id: Int64) -> Bool {
        self[id] != nil
    }
}

extension IDTable where Value == Bool {
    /// A set of ids.
    public init(ids: some Sequence<Int64>) {
        self.init(ids.map { (id: $0, value: true) })
    }
}
