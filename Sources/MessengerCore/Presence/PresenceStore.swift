import Foundation

/// Where presence lives across nodes: which users have a WebSocket open on some node, and when
/// each was last seen. Redis when configured (`RedisPresenceStore`), else this process
/// (`InProcessPresenceStore`). The node-local socket count is `PresenceTracker`'s; a store only
/// hears about a node's first and last socket of a user.
public protocol PresenceStore: Sendable {
    /// This node opened its first socket of `userID`. True when no node had one before.
    func nodeJoined(userID: Int64, at now: Date) async throws -> Bool
    /// This node closed its last socket of `userID`. True when no node has one now.
    func nodeLeft(userID: Int64, at now: Date) async throws -> Bool
    /// Heartbeat for users with sockets on this node: keeps them online and moves last_seen.
    func refresh(userIDs: [Int64], at now: Date) async throws
    func status(userID: Int64) async throws -> PresenceStatus
}

/// What GET /users/{id} reports: `online`, and `last_seen` (null when never seen since the
/// presence keys were kept).
public struct PresenceStatus: Sendable, Equatable {
    public let online: Bool
    public let lastSeen: Date?

    public init(online: Bool, lastSeen: Date?) {
        self.online = online
        self.lastSeen = lastSeen
    }
}
