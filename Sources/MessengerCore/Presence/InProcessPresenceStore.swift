import Foundation
import Synchronization

/// Presence of a single-node gateway (no Redis): this process is the only node.
public final class InProcessPresenceStore: PresenceStore {
    private struct State {
        var online: Set<Int64> = []
        var lastSeen: [Int64: Date] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func nodeJoined(userID: Int64, at now: Date) async throws -> Bool {
        state.withLock { state in
            state.lastSeen[userID] = now
            return state.online.insert(userID).inserted
        }
    }

    public func nodeLeft(userID: Int64, at now: Date) async throws -> Bool {
        state.withLock { state in
            state.lastSeen[userID] = now
            return state.online.remove(userID) != nil
        }
    }

    public func refresh(userIDs: [Int64], at now: Date) async throws {
        state.withLock { state in
            for userID in userIDs { state.lastSeen[userID] = now }
        }
    }

    public func status(userID: Int64) async throws -> PresenceStatus {
        state.withLock { PresenceStatus(online: $0.online.contains(userID), lastSeen: $0.lastSeen[userID]) }
    }
}
