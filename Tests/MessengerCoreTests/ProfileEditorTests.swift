import Foundation
import Logging
import MessengerCore
import Testing
import TestSupport

@Suite("Profile editor: partial updates and avatars (real PostgreSQL)")
struct ProfileEditorTests {
    let logger = Logger(label: "tests")

    @Test("absent fields stay, present ones are written as sent, updated_at moves")
    func partialUpdate() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let editor = ProfileEditor(database: client, logger: logger)
            let id = try await rows.user("ann", displayName: "Ann", bio: "old bio")
            try await client.query("UPDATE users SET updated_at = now() - interval '1 day' WHERE id = \(id)", logger: logger)

            let bioOnly = try await editor.update(userID: id, with: ProfileChanges(bio: "new bio"))
            #expect(bioOnly == StoredProfile(id: id, username: "ann", displayName: "Ann", bio: "new bio"))
            let recent = try await rows.scalar("SELECT updated_at > now() - interval '1 hour' FROM users WHERE id = \(id)", as: Bool.self)
            #expect(recent == true)

            let nothing = try await editor.update(userID: id, with: ProfileChanges())
            #expect(nothing == bioOnly)

            let all = try await editor.update(userID: id, with: ProfileChanges(username: "Ann_2", displayName: "", bio: ""))
            #expect(all == StoredProfile(id: id, username: "Ann_2", displayName: "", bio: ""))
        }
    }

    @Test("a username outside ^[a-zA-Z0-9_]{3,20}$ is refused before anything is written")
    func usernameRule() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let editor = ProfileEditor(database: client, logger: logger)
            let id = try await rows.user("ann", bio: "kept")
            for bad in ["ab", String(repeating: "a", count: 21), "with space", "hy-phen", "ümlaut", "", "a\u{0}bc"] {
                await #expect(throws: ProfileEditError.invalidUsername) {
                    try await editor.update(userID: id, with: ProfileChanges(username: bad, bio: "changed"))
                }
            }
            #expect(try await rows.scalar("SELECT bio FROM users WHERE id = \(id)", as: String.self) == "kept")
            #expect(UsernameRule.allowsRename(to: "abc"))
            #expect(UsernameRule.allowsRename(to: "A_1" + String(repeating: "z", count: 17)))
        }
    }

    @Test("a username held by another user in any ASCII case is taken; one's own in another case is not")
    func usernameTaken() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let editor = ProfileEditor(database: client, logger: logger)
            try await rows.user("Bob")
            let ann = try await rows.user("ann")
            await #expect(throws: ProfileEditError.usernameTaken) {
                try await editor.update(userID: ann, with: ProfileChanges(username: "bob"))
            }
            #expect(try await editor.update(userID: ann, with: ProfileChanges(username: "ANN")).username == "ANN")
        }
    }

    @Test("text PostgreSQL cannot store is refused; an unknown user is not found")
    func unstorableAndMissing() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let editor = ProfileEditor(database: client, logger: logger)
            let ann = try await rows.user("ann")
            await #expect(throws: ProfileEditError.unstorableText) {
                try await editor.update(userID: ann, with: ProfileChanges(displayName: "a\u{0}b"))
            }
            await #expect(throws: ProfileEditError.unstorableText) {
                try await editor.update(userID: ann, with: ProfileChanges(bio: "\u{0}"))
            }
            await #expect(throws: ProfileEditError.userNotFound) {
                try await editor.update(userID: ann + 100, with: ProfileChanges(bio: "x"))
            }
        }
    }

    @Test("an avatar must be the caller's own upload and a raster image")
    func avatarRules() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let editor = ProfileEditor(database: client, logger: logger)
            let ann = try await rows.user("ann")
            let bob = try await rows.user("bob")
            let bobsImage = try await rows.file(uploader: bob, filename: "bob.png")
            let text = try await rows.file(uploader: ann, filename: "notes.txt", mimeType: "text/plain")
            let svg = try await rows.file(uploader: ann, filename: "x.svg", mimeType: "image/svg+xml")
            let untyped = try await rows.file(uploader: ann, filename: "blob", mimeType: nil)
            let shouting = try await rows.file(uploader: ann, filename: "a.png", mimeType: "IMAGE/PNG; charset=binary")

            await #expect(throws: ProfileEditError.fileNotFound) { try await editor.setAvatar(userID: ann, fileID: bobsImage) }
            await #expect(throws: ProfileEditError.fileNotFound) { try await editor.setAvatar(userID: ann, fileID: bobsImage + 100) }
            await #expect(throws: ProfileEditError.notAnImage) { try await editor.setAvatar(userID: ann, fileID: text) }
            await #expect(throws: ProfileEditError.notAnImage) { try await editor.setAvatar(userID: ann, fileID: svg) }
            await #expect(throws: ProfileEditError.notAnImage) { try await editor.setAvatar(userID: ann, fileID: untyped) }
            #expect(try await rows.scalar("SELECT avatar_file_id FROM users WHERE id = \(ann)", as: Int64?.self) == .some(nil))

            let avatar = try await editor.setAvatar(userID: ann, fileID: shouting)
            #expect(avatar.fileID == shouting && avatar.filename == "a.png")
            #expect(try await rows.scalar("SELECT avatar_file_id FROM users WHERE id = \(ann)", as: Int64?.self) == .some(shouting))
            for type in ["image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif"] {
                #expect(AvatarImageTypes.allows(type))
            }
        }
    }
}
