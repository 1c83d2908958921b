import MessengerCore

/// One chat a socket follows: its registration on the chat's bus channel, and what keeps the
/// resume lossless and free of duplicates.
struct ChatSubscription: Sendable {
    /// Tells a current subscription from an older one to the same chat that may still deliver a
    /// last event.
    let id: UInt64
    /// Nil while the bus subscription is being made (events are held meanwhile).
    var bus: BusSubscription?
    /// Live events that arrived before the subscription was confirmed (membership checked, missed
    /// messages replayed); nil once live. The bus subscription starts before the history query,
    /// so together they leave no gap.
    var held: [String]? = []
    /// Ids sent by the replay. A message can be in the query's snapshot and still reach the bus
    /// after it (publish follows commit), so these are skipped on the live path too.
    var replayedIDs: Set<Int64> = []
    /// What a catch-up after a lost Redis subscription starts from (see `DeliveredMessages`).
    var delivered = DeliveredMessages()
    /// The bus resubscribed while the subscription was not live yet: catch up once it is.
    var needsCatchUp = false
    /// Confirmed earlier, holding live events again while a catch-up sends stored messages.
    var isCatchingUp = false

    var isLive: Bool { held == nil }
}

/// The message ids a subscription has covered, for a catch-up after the bus lost and remade its
/// Redis subscription: every id at or below `floor` counts as covered (stored before the
/// subscription began, or older than what the window keeps), and `window` holds each covered id
/// above it. Sends can commit out of order, so a message with a lower id than one already sent
/// may still be unpublished when the connection drops: a catch-up queries everything above
/// `floor` and skips the window, instead of starting after the highest id sent.
struct DeliveredMessages: Sendable {
    /// How many ids above the floor are kept; two sends committing further apart than this many
    /// of the chat's messages are not told apart.
    static let windowSize = 16

    private(set) var floor: Int64 = 0
    private var window: [Int64] = []

    /// Everything up to `id` is covered, e.g. the chat's newest message when the subscription began.
    mutating func cover(upTo id: Int64) {
        guard id > floor else { return }
        floor = id
        window.removeAll { $0 <= id }
    }

    mutating func insert(_ id: Int64) {
        guard id > floor, !window.contains(id) else { return }
        window.append(id)
        if window.count > Self.windowSize, let lowest = window.min() {
            cover(upTo: lowest)
        }
    }

    func contains(_ id: Int64) -> Bool {
        id <= floor || window.contains(id)
    }
}
