/// One chat a socket follows: the task that reads the chat's bus channel, and what keeps the
/// resume lossless and free of duplicates.
struct ChatSubscription: Sendable {
    /// Tells a current subscription from an older one to the same chat whose task may still
    /// deliver a last event.
    let id: UInt64
    let forwarder: Task<Void, Never>
    /// Live events that arrived before the subscription was confirmed (membership checked, missed
    /// messages replayed); nil once live. The bus subscription starts before the history query,
    /// so together they leave no gap.
    var held: [String]? = []
    /// Ids sent by the replay. A message can be in the query's snapshot and still reach the bus
    /// after it (publish follows commit), so these are skipped on the live path too.
    var replayedIDs: Set<Int64> = []
    /// The newest message id this subscription has covered: sent to the client, or stored before
    /// the subscription began. After the bus lost and remade its Redis subscription, the stored
    /// messages above it are what the client may have missed.
    var lastMessageID: Int64 = 0
    /// The bus resubscribed while the subscription was not live yet: catch up once it is.
    var needsCatchUp = false
    /// Confirmed earlier, holding live events again while a catch-up sends stored messages.
    var isCatchingUp = false

    var isLive: Bool { held == nil }
}
