import Foundation
import MessengerCore
import Testing
import TestSupport

@Suite("Legacy session records (real PostgreSQL)")
struct LegacySessionStoreTests {
    @Test("a recorded session is live until revoked; another user's cookie cannot use its id")
    func recordedSessions() async throws {
        try await TestCoreServices.with { core, client in
            let rows = UserFixtureRows(client: client)
            let ann = try await rows.user("ann")
            let bob = try await rows.user("bob")
            let store = LegacySessionStore(core: core)
            let id = try await store.open(userID: ann)
            #expect(try await store.verdict(sessionID: id, userID: ann, signedAt: Date()) == .live)
            #expect(try await store.verdict(sessionID: id, userID: bob, signedAt: Date()) == .refused)
            #expect(try await store.verdict(sessionID: UUID(), userID: ann, signedAt: Date()) == .refused)
            try await store.revoke(sessionID: id, userID: ann, reason: "logout")
            #expect(try await store.verdict(sessionID: id, userID: ann, signedAt: Date()) == .refused)
            #expect(try await rows.scalar("SELECT revoke_reason FROM legacy_sessions WHERE id = \(id)", as: String.self) == "logout")
        }
    }

    @Test("pre-switch cookies (no record) pass until the user's cutoff; logout and revokeAll move it")
    func cutoffs() async throws {
        try await TestCoreServices.with { core, client in
            let rows = UserFixtureRows(client: client)
            let ann = try await rows.user("ann")
            let store = LegacySessionStore(core: core)
            let signedLastWeek = Date().addingTimeInterval(-7 * 86_400)
            #expect(try await store.verdict(sessionID: nil, userID: ann, signedAt: signedLastWeek) == .acceptedWithoutRecord)
            let other = try await store.open(userID: ann)
            try await store.revoke(sessionID: nil, userID: ann, reason: "logout")
            #expect(try await store.verdict(sessionID: nil, userID: ann, signedAt: signedLastWeek) == .refused)
            // Only the cutoff moved: another device's recorded session lives on.
            #expect(try await store.verdict(sessionID: other, userID: ann, signedAt: signedLastWeek) == .live)
            #expect(try await store.verdict(sessionID: nil, userID: ann, signedAt: Date().addingTimeInterval(5)) == .acceptedWithoutRecord)

            try await store.revokeAll(userID: ann, reason: "password changed")
            #expect(try await store.verdict(sessionID: other, userID: ann, signedAt: Date()) == .refused)
        }
    }

    @Test("blocked, deactivated and unknown users have no session")
    func accountsThatMayNotAct() async throws {
        try await TestCoreServices.with { core, client in
            let rows = UserFixtureRows(client: client)
            let blocked = try await rows.user("blocked", isBlocked: true)
            let inactive = try await rows.user("inactive", isActive: false)
            let store = LegacySessionStore(core: core)
            for user in [blocked, inactive] {
                let id = try await store.open(userID: user)
                #expect(try await store.verdict(sessionID: id, userID: user, signedAt: Date()) == .refused)
                #expect(try await store.verdict(sessionID: nil, userID: user, signedAt: Date()) == .refused)
            }
            #expect(try await store.verdict(sessionID: nil, userID: 987_654, signedAt: Date()) == .refused)
        }
    }
}
