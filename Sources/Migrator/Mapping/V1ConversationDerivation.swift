/// The conversations the §10.2 upgrade would create for a v1 database: messages walked in
/// ascending id, one conversation per (min(from, to), max(from, to)) pair at its first
/// appearance, ids 1, 2, ... in that order, `updated_at` = the upgrade time. A message to oneself
/// gives the pair (x, x).
public struct V1ConversationDerivation: Sendable {
    public private(set) var conversations: [LegacyConversation] = []
    public private(set) var idOfPair: [String: Int64] = [:]
    let upgradeTime: LegacyText

    public init(upgradeTime: String) {
        self.upgradeTime = LegacyText(value: upgradeTime)
    }

    public mutating func add(from: Int64?, to: Int64?) {
        guard let from, let to else { return }
        let (low, high) = (min(from, to), max(from, to))
        let key = "\(low):\(high)"
        guard idOfPair[key] == nil else { return }
        let id = Int64(conversations.count + 1)
        idOfPair[key] = id
        conversations.append(LegacyConversation(id: id, userA: low, userB: high, updatedAt: upgradeTime))
    }

    public static func derive(from source: LegacySource, upTo mark: Int64, upgradeTime: String) throws -> V1ConversationDerivation {
        var derivation = V1ConversationDerivation(upgradeTime: upgradeTime)
        var after: Int64 = 0
        while true {
            let pairs = try source.v1MessagePairs(after: after, upTo: mark, limit: 100_000)
            guard let last = pairs.last else { break }
            for pair in pairs { derivation.add(from: pair.from, to: pair.to) }
            after = last.id
        }
        return derivation
    }
}
