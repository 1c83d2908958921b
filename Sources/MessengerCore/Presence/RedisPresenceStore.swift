import Foundation

/// Presence shared by every node through Redis.
///
/// - `presence:<user_id>`: a SET of the ids of the nodes that hold a socket of the user, with a
///   TTL (`onlineTTL`) that every holding node's heartbeat renews. The first SADD (set size 1)
///   means online, the SREM that empties it means offline; both run in one Lua script, so two
///   nodes racing cannot both or neither see the transition. A node that dies without closing its
///   sockets stops renewing, and the key expires: the user reads offline after at most `onlineTTL`
///   (no `offline` event is sent in that case).
/// - `presence:last_seen:<user_id>`: unix seconds, written with SETEX (`lastSeenTTL`) on connect,
///   disconnect and every heartbeat.
public struct RedisPresenceStore: PresenceStore {
    let client: RedisClient
    /// Tells this node's entries in the sets from other nodes'.
    let nodeID: String
    public static let onlineTTL = 60
    public static let lastSeenTTL = 30 * 24 * 3600

    public init(client: RedisClient, nodeID: String = UUID().uuidString) {
        self.client = client
        self.nodeID = nodeID
    }

    static func onlineKey(_ userID: Int64) -> String { "presence:\(userID)" }
    static func lastSeenKey(_ userID: Int64) -> String { "presence:last_seen:\(userID)" }

    /// KEYS[1] the user's node set, KEYS[2] last_seen; ARGV node, online TTL, now, last_seen TTL.
    static let joinScript = """
        redis.call('SADD', KEYS[1], ARGV[1])
        redis.call('EXPIRE', KEYS[1], ARGV[2])
        redis.call('SETEX', KEYS[2], ARGV[4], ARGV[3])
        return redis.call('SCARD', KEYS[1])
        """
    static let leaveScript = """
        redis.call('SREM', KEYS[1], ARGV[1])
        redis.call('SETEX', KEYS[2], ARGV[4], ARGV[3])
        return redis.call('SCARD', KEYS[1])
        """

    public func nodeJoined(userID: Int64, at now: Date) async throws -> Bool {
        try await run(Self.joinScript, userID: userID, now: now) == 1
    }

    public func nodeLeft(userID: Int64, at now: Date) async throws -> Bool {
        try await run(Self.leaveScript, userID: userID, now: now) == 0
    }

    private func run(_ script: String, userID: Int64, now: Date) async throws -> Int64? {
        try await client.command([
            "EVAL", script, "2", Self.onlineKey(userID), Self.lastSeenKey(userID),
            nodeID, String(Self.onlineTTL), String(Int64(now.timeIntervalSince1970)), String(Self.lastSeenTTL),
        ]).integer
    }

    public func refresh(userIDs: [Int64], at now: Date) async throws {
        let seconds = String(Int64(now.timeIntervalSince1970))
        for userID in userIDs {
            // SADD again: a key that expired during a Redis hiccup comes back.
            _ = try await client.command(["SADD", Self.onlineKey(userID), nodeID])
            _ = try await client.command(["EXPIRE", Self.onlineKey(userID), String(Self.onlineTTL)])
            _ = try await client.command(["SETEX", Self.lastSeenKey(userID), String(Self.lastSeenTTL), seconds])
        }
    }

    public func status(userID: Int64) async throws -> PresenceStatus {
        let online = try await client.command(["EXISTS", Self.onlineKey(userID)]).integer == 1
        let lastSeen = try await client.command(["GET", Self.lastSeenKey(userID)]).string
            .flatMap { TimeInterval($0) }.map { Date(timeIntervalSince1970: $0) }
        return PresenceStatus(online: online, lastSeen: lastSeen)
    }
}
