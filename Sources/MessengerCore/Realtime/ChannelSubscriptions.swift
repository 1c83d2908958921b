/// The bookkeeping of a node's one Redis subscriber connection (jwt-api.md §5.6, D-10): which
/// `chat:{id}` channels it must hold, by reference count of the node's local subscribers, and
/// which `subscribe` calls wait for which Redis confirmation. No I/O: every change queues the
/// Redis commands it needs in `outbox`, which the connection's thread sends in order. The bus
/// keeps one value of it under one lock.
///
/// Redis answers SUBSCRIBE with one confirmation per channel, in command order, so each SUBSCRIBE
/// sent for a channel is matched with the next confirmation of that channel. A channel dropped
/// while its SUBSCRIBE is unanswered leaves that confirmation behind as stale; it is skipped, so
/// it cannot confirm a later subscription that Redis has not made yet.
struct ChannelSubscriptions<Subscriber, Waiter> {
    enum Command: Equatable {
        case subscribe([Int64])
        case unsubscribe(Int64)
    }

    /// What `add` decided for a new subscriber.
    enum Admission {
        /// The channel is confirmed on the connection: events flow already.
        case active
        /// The waiter is stored and resumed by the channel's next confirmation (or failed when
        /// the connection drops first).
        case waiting
        /// No connection: nothing was stored.
        case unavailable
    }

    /// One SUBSCRIBE sent and not yet confirmed.
    private struct PendingConfirmation {
        var waiters: [UInt64: Waiter]
        /// Sent by a reconnection for subscribers that held the channel before: they may have
        /// missed events while the connection was down.
        let isResubscription: Bool
    }

    private struct Channel {
        var subscribers: [UInt64: Subscriber] = [:]
        var pending: [PendingConfirmation] = []
    }

    private var channels: [Int64: Channel] = [:]
    private var staleConfirmations: [Int64: Int] = [:]
    private(set) var isConnected = false
    /// Commands to send, in order.
    private(set) var outbox: [Command] = []

    /// Channels with at least one local subscriber.
    var channelCount: Int { channels.count }

    /// Registers `subscriber` (under `id`, unique per node) for `chatID`.
    mutating func add(_ chatID: Int64, id: UInt64, subscriber: Subscriber, waiter: Waiter) -> Admission {
        guard isConnected else { return .unavailable }
        guard var channel = channels[chatID] else {
            channels[chatID] = Channel(
                subscribers: [id: subscriber], pending: [PendingConfirmation(waiters: [id: waiter], isResubscription: false)])
            outbox.append(.subscribe([chatID]))
            return .waiting
        }
        channel.subscribers[id] = subscriber
        if channel.pending.isEmpty {
            channels[chatID] = channel
            return .active
        }
        // A SUBSCRIBE is on its way: its confirmation covers this subscriber too.
        channel.pending[channel.pending.count - 1].waiters[id] = waiter
        channels[chatID] = channel
        return .waiting
    }

    /// Forgets subscriber `id`; the last one out queues UNSUBSCRIBE. Returns the subscriber's
    /// waiter if it was still waiting (the caller fails it).
    mutating func remove(_ chatID: Int64, id: UInt64) -> Waiter? {
        guard var channel = channels[chatID], channel.subscribers.removeValue(forKey: id) != nil else { return nil }
        var orphan: Waiter?
        for index in channel.pending.indices {
            if let waiter = channel.pending[index].waiters.removeValue(forKey: id) { orphan = waiter }
        }
        if channel.subscribers.isEmpty {
            channels[chatID] = nil
            if isConnected {
                if !channel.pending.isEmpty {
                    staleConfirmations[chatID, default: 0] += channel.pending.count
                }
                outbox.append(.unsubscribe(chatID))
            }
        } else {
            channels[chatID] = channel
        }
        return orphan
    }

    /// Redis confirmed a SUBSCRIBE of `chatID`: the waiters it releases, and the subscribers that
    /// held the channel across a reconnection (they may have missed events meanwhile).
    mutating func confirm(_ chatID: Int64) -> (waiters: [Waiter], resubscribed: [Subscriber]) {
        if let stale = staleConfirmations[chatID] {
            staleConfirmations[chatID] = stale > 1 ? stale - 1 : nil
            return ([], [])
        }
        guard var channel = channels[chatID], !channel.pending.isEmpty else { return ([], []) }
        let confirmation = channel.pending.removeFirst()
        channels[chatID] = channel
        guard confirmation.isResubscription else { return (Array(confirmation.waiters.values), []) }
        let resubscribed = channel.subscribers.filter { confirmation.waiters[$0.key] == nil }.map(\.value)
        return (Array(confirmation.waiters.values), resubscribed)
    }

    /// The local subscribers of `chatID`, for one event.
    func subscribers(of chatID: Int64) -> [Subscriber] {
        channels[chatID].map { Array($0.subscribers.values) } ?? []
    }

    /// A fresh connection: every channel with local subscribers is subscribed again in one command.
    mutating func connected() {
        isConnected = true
        staleConfirmations = [:]
        let live = channels.keys.sorted()
        for chatID in live {
            channels[chatID]?.pending = [PendingConfirmation(waiters: [:], isResubscription: true)]
        }
        outbox = live.isEmpty ? [] : [.subscribe(live)]
    }

    /// The connection is gone: the waiters to fail. Subscribers stay; `connected` resubscribes them.
    mutating func disconnected() -> [Waiter] {
        isConnected = false
        outbox = []
        staleConfirmations = [:]
        var failed: [Waiter] = []
        for chatID in channels.keys {
            failed += channels[chatID]?.pending.flatMap { $0.waiters.values } ?? []
            channels[chatID]?.pending = []
        }
        return failed
    }

    /// The queued commands, emptied.
    mutating func takeOutbox() -> [Command] {
        defer { outbox = [] }
        return outbox
    }
}

extension ChannelSubscriptions.Command {
    /// The command as Redis arguments.
    var arguments: [String] {
        switch self {
        case .subscribe(let chatIDs): ["SUBSCRIBE"] + chatIDs.map(BusChannel.name)
        case .unsubscribe(let chatID): ["UNSUBSCRIBE", BusChannel.name(chatID)]
        }
    }
}
