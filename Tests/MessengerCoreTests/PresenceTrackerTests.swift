import Foundation
import Logging
import MessengerCore
import PostgresNIO
import Testing
import TestSupport

/// `PresenceTracker` with the in-process store (a gateway without Redis) over a real database: a
/// user's first socket and last socket are announced once, on the user's chats, in socket order.
@Suite("Presence tracker (in-process store, real PostgreSQL)", .timeLimit(.minutes(2)))
struct PresenceTrackerTests {
    @Test("only the first open and the last close are announced, in order, and the status follows")
    func transitions() async throws {
        try await TestCoreServices.with { core, client in
            let rows = UserFixtureRows(client: client)
            let bob = try await rows.user("bob")
            let ann = try await rows.user("ann")
            let chatID = try #require(try await rows.scalar(
                "INSERT INTO chats (type, owner_id, title) VALUES ('group', \(ann), 't') RETURNING id", as: Int64.self))
            try await client.query(
                "INSERT INTO chat_members (chat_id, user_id) VALUES (\(chatID), \(ann)), (\(chatID), \(bob))",
                logger: Logger(label: "tests"))
            var events = try await core.bus.subscribe(chatID: chatID).makeAsyncIterator()
            let tracker = core.presence
            #expect(try await tracker.status(of: bob) == PresenceStatus(online: false, lastSeen: nil))

            await tracker.socketOpened(userID: bob)
            await tracker.socketOpened(userID: bob)
            await tracker.socketClosed(userID: bob)
            // A close of a socket that never counted changes nothing.
            await tracker.socketClosed(userID: ann)
            await tracker.socketClosed(userID: bob)
            #expect(await events.next() == PresenceEvent.payload(userID: bob, online: true))
            #expect(await events.next() == PresenceEvent.payload(userID: bob, online: false))

            let status = try await tracker.status(of: bob)
            #expect(status.online == false)
            #expect(status.lastSeen != nil)

            // Bob's transitions are done: the next event is Ann's, nothing more of Bob's.
            await tracker.socketOpened(userID: ann)
            #expect(await events.next() == PresenceEvent.payload(userID: ann, online: true))
            #expect(try await tracker.status(of: ann).online)
        }
    }
}
