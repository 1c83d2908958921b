import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Online/offline of users by their WebSockets (docs/websocket.md, presence). Counts this node's
/// authenticated sockets per user; the first one of a user tells the store, which answers whether
/// the user just came online on any node, and the last one likewise for offline. A transition is
/// published as a `presence` event on every chat of the user. Per user, transitions run one after
/// another in socket order, so a quick open-close cannot overtake itself.
///
/// As a Service it renews the presence of every user with a socket here every `heartbeat`
/// (clients' `ping` messages renew theirs too), so `online` and `last_seen` stay fresh.
public actor PresenceTracker: Service {
    private let store: any PresenceStore
    private let database: PostgresClient
    private let bus: any MessageBus
    private let logger: Logger
    private let heartbeat: Duration
    private var sockets: [Int64: Int] = [:]
    /// The last transition queued per user, and its number (to forget it once done).
    private var tails: [Int64: (number: UInt64, task: Task<Void, Never>)] = [:]
    private var lastTransition: UInt64 = 0

    public init(store: any PresenceStore, database: PostgresClient, bus: any MessageBus, logger: Logger, heartbeat: Duration = .seconds(20)) {
        self.store = store
        self.database = database
        self.bus = bus
        self.logger = logger
        self.heartbeat = heartbeat
    }

    /// An authenticated socket of `userID` opened on this node.
    public func socketOpened(userID: Int64) {
        sockets[userID, default: 0] += 1
        if sockets[userID] == 1 {
            enqueue(userID) { tracker in await tracker.transition(userID, online: true) }
        }
    }

    /// An authenticated socket of `userID` closed on this node.
    public func socketClosed(userID: Int64) {
        guard let count = sockets[userID] else { return }
        if count > 1 {
            sockets[userID] = count - 1
            return
        }
        sockets[userID] = nil
        enqueue(userID) { tracker in await tracker.transition(userID, online: false) }
    }

    /// A client's `ping`: the user is still there.
    public func heartbeat(userID: Int64) async {
        do {
            try await store.refresh(userIDs: [userID], at: Date())
        } catch {
            logger.debug("presence heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    public func status(of userID: Int64) async throws -> PresenceStatus {
        try await store.status(userID: userID)
    }

    private func enqueue(_ userID: Int64, _ operation: @escaping @Sendable (PresenceTracker) async -> Void) {
        lastTransition += 1
        let number = lastTransition
        let previous = tails[userID]?.task
        let task = Task {
            await previous?.value
            await operation(self)
            self.finished(userID, number)
        }
        tails[userID] = (number, task)
    }

    private func finished(_ userID: Int64, _ number: UInt64) {
        if tails[userID]?.number == number { tails[userID] = nil }
    }

    private func transition(_ userID: Int64, online: Bool) async {
        do {
            let changed: Bool
            if online {
                changed = try await store.nodeJoined(userID: userID, at: Date())
            } else {
                changed = try await store.nodeLeft(userID: userID, at: Date())
            }
            guard changed else { return }
            let payload = PresenceEvent.payload(userID: userID, online: online)
            for chatID in try await chats(of: userID) {
                try await bus.publish(chatID: chatID, payload: payload)
            }
        } catch {
            // Presence is advisory: a failure is logged and the socket carries on.
            logger.warning("presence not updated", metadata: ["user_id": "\(userID)", "error": "\(error)"])
        }
    }

    /// The chats whose subscribers hear about the user.
    private func chats(of userID: Int64) async throws -> [Int64] {
        let rows = try await database.query("SELECT chat_id FROM chat_members WHERE user_id = \(userID)", logger: logger)
        var chatIDs: [Int64] = []
        for try await chatID in rows.decode(Int64.self) {
            chatIDs.append(chatID)
        }
        return chatIDs
    }

    // MARK: Service

    public func run() async throws {
        let interval = heartbeat
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await renewLocalUsers()
        }
    }

    private func renewLocalUsers() async {
        let users = Array(sockets.keys)
        guard !users.isEmpty else { return }
        do {
            try await store.refresh(userIDs: users, at: Date())
        } catch {
            logger.warning("presence heartbeat failed", metadata: ["error": "\(error)"])
        }
    }
}
