import Foundation
import Logging
import MessengerCore
import Testing
import TestSupport

@Suite("Settings store (real PostgreSQL)")
struct SettingsStoreTests {
    let logger = Logger(label: "tests")

    @Test("the ensured read creates the default row once; the plain read never creates one")
    func ensuredRead() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let store = SettingsStore(database: client, logger: logger)
            let ann = try await rows.user("ann")

            #expect(try await store.storedSettings(userID: ann) == nil)
            #expect(try await rows.scalar("SELECT count(*) FROM user_settings", as: Int.self) == 0)
            #expect(try await store.ensuredSettings(userID: ann) == .defaults)
            #expect(try await store.storedSettings(userID: ann) == .defaults)

            try await client.query("UPDATE user_settings SET theme = 'dark', language = 'de' WHERE user_id = \(ann)", logger: logger)
            let stored = UserSettings(theme: "dark", notificationsEnabled: true, language: "de")
            #expect(try await store.ensuredSettings(userID: ann) == stored)
            #expect(try await rows.scalar("SELECT count(*) FROM user_settings", as: Int.self) == 1)
        }
    }

    @Test("replace inserts or overwrites all three columns; an unknown user gets defaults and no row")
    func replace() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let store = SettingsStore(database: client, logger: logger)
            let ann = try await rows.user("ann")
            let dark = UserSettings(theme: "dark", notificationsEnabled: false, language: "ru")
            try await store.replace(userID: ann, with: dark)
            #expect(try await store.storedSettings(userID: ann) == dark)
            try await store.replace(userID: ann, with: .defaults)
            #expect(try await store.storedSettings(userID: ann) == .defaults)

            try await store.replace(userID: ann + 100, with: dark)
            #expect(try await store.ensuredSettings(userID: ann + 100) == .defaults)
            #expect(try await rows.scalar("SELECT count(*) FROM user_settings", as: Int.self) == 1)
        }
    }

    @Test("concurrent first reads all answer the defaults and leave one row")
    func concurrentFirstReads() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let store = SettingsStore(database: client, logger: logger)
            let ann = try await rows.user("ann")
            let results = try await withThrowingTaskGroup(of: UserSettings.self) { group in
                for _ in 0..<8 { group.addTask { try await store.ensuredSettings(userID: ann) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results == Array(repeating: .defaults, count: 8))
            #expect(try await rows.scalar("SELECT count(*) FROM user_settings", as: Int.self) == 1)
        }
    }

    @Test("theme and language coercions: exact known values kept, anything else becomes the default")
    func coercions() {
        #expect(UserSettings.theme(from: "dark") == "dark")
        #expect(UserSettings.theme(from: "light") == "light")
        #expect(UserSettings.theme(from: "neon") == "light")
        #expect(UserSettings.theme(from: "Dark") == "light")
        #expect(UserSettings.theme(from: nil) == "light")
        for language in ["en", "ru", "de"] { #expect(UserSettings.language(from: language) == language) }
        #expect(UserSettings.language(from: "fr") == "en")
        #expect(UserSettings.language(from: "RU") == "en")
        #expect(UserSettings.language(from: nil) == "en")
    }
}
