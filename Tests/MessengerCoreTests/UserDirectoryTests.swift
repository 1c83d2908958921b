import Crypto
import Foundation
import Logging
@testable import MessengerCore
import Testing
import TestSupport

@Suite("User directory: lookups and search (real PostgreSQL)")
struct UserDirectoryTests {
    let logger = Logger(label: "tests")

    @Test("a profile carries the raw stored values and the avatar file; the display name falls back only on NULL")
    func profileByID() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let directory = UserDirectory(database: client, logger: logger)
            let ann = try await rows.user("ann", displayName: "Ann A.", bio: "hello", isAdmin: true)
            let file = try await rows.file(uploader: ann, key: "uploads/k_ann.png", filename: "ann.png", mimeType: "image/png")
            try await rows.setAvatar(of: ann, to: file)
            let plain = try await rows.user("plain")
            let blank = try await rows.user("blank", displayName: "")

            let profile = try #require(try await directory.publicProfile(id: ann))
            #expect(profile == UserProfile(
                id: ann, username: "ann", displayName: "Ann A.", bio: "hello", isAdmin: true,
                avatar: UserAvatar(fileID: file, bucket: "bh-uploads", objectKey: "uploads/k_ann.png", filename: "ann.png", mimeType: "image/png")))

            let plainProfile = try #require(try await directory.publicProfile(id: plain))
            #expect(plainProfile.displayName == nil && plainProfile.displayNameOrUsername == "plain")
            #expect(plainProfile.bio == nil && plainProfile.avatar == nil && !plainProfile.isAdmin)
            let blankProfile = try #require(try await directory.publicProfile(id: blank))
            #expect(blankProfile.displayNameOrUsername == "")
        }
    }

    @Test("inactive and unknown users are not found; blocked users are")
    func activeOnly() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let directory = UserDirectory(database: client, logger: logger)
            let gone = try await rows.user("gone", isActive: false)
            let blocked = try await rows.user("blocked", isBlocked: true)

            #expect(try await directory.publicProfile(id: gone) == nil)
            #expect(try await directory.publicProfile(id: gone + 1000) == nil)
            #expect(try await directory.publicProfile(id: blocked)?.username == "blocked")
            #expect(try await directory.byUsername("gone") == nil)
            #expect(try await directory.byUsername("blocked")?.id == blocked)
            #expect(try await directory.search("").map(\.username) == ["blocked"])
        }
    }

    @Test("by username: exact up to ASCII case, nothing else")
    func byUsername() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let directory = UserDirectory(database: client, logger: logger)
            let mixed = try await rows.user("MixedCase")
            let umlaut = try await rows.user("Ärger")

            #expect(try await directory.byUsername("mixedcase")?.id == mixed)
            #expect(try await directory.byUsername("MIXEDCASE")?.id == mixed)
            #expect(try await directory.byUsername("Mixed") == nil)
            #expect(try await directory.byUsername("MixedCase ") == nil)
            // The uniqueness rule folds ASCII only (legacy NOCASE), so lookups do too.
            #expect(try await directory.byUsername("Ärger")?.id == umlaut)
            #expect(try await directory.byUsername("ärger") == nil)
            #expect(try await directory.byUsername("Mixed\u{0}Case") == nil)
            #expect(try await directory.byUsername("") == nil)
        }
    }

    @Test("search matches username or display name, case-insensitively, sorted by folded username")
    func searchMatching() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let directory = UserDirectory(database: client, logger: logger)
            try await rows.user("carol", displayName: "Carol")
            try await rows.user("Bob", displayName: "Robert")
            try await rows.user("alice", displayName: "Alice Roberts")
            try await rows.user("dave")
            try await rows.user("zed", displayName: "Old Bob", isActive: false)
            try await rows.user("ivan", displayName: "Иван")

            #expect(try await directory.search("").map(\.username) == ["alice", "Bob", "carol", "dave", "ivan"])
            #expect(try await directory.search("ROB").map(\.username) == ["alice", "Bob"])
            #expect(try await directory.search("bob").map(\.username) == ["Bob"])
            #expect(try await directory.search("aRo").map(\.username) == ["carol"])
            // Non-ASCII folding follows the cluster's LC_CTYPE (C.UTF-8 here, as scripts/services.sh sets up).
            #expect(try await directory.search("иВА").map(\.username) == ["ivan"])
            #expect(try await directory.search("nobody").isEmpty)
            #expect(try await directory.search("a\u{0}").isEmpty)
        }
    }

    @Test("% and _ and backslashes in the query are literal characters")
    func searchLiteralWildcards() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let directory = UserDirectory(database: client, logger: logger)
            try await rows.user("a_b")
            try await rows.user("axb")
            try await rows.user("p100", displayName: "100% sure")
            try await rows.user("p1000", displayName: "1000 sure")
            try await rows.user("slash", displayName: "back\\slash")
            try await rows.user("plain", displayName: "backslash")

            #expect(try await directory.search("_").map(\.username) == ["a_b"])
            #expect(try await directory.search("a_b").map(\.username) == ["a_b"])
            #expect(try await directory.search("%").map(\.username) == ["p100"])
            #expect(try await directory.search("100%").map(\.username) == ["p100"])
            #expect(try await directory.search("0%").map(\.username) == ["p100"])
            #expect(try await directory.search("\\").map(\.username) == ["slash"])
            #expect(try await directory.search("k\\s").map(\.username) == ["slash"])
        }
    }

    @Test("search answers at most 50, the first 50 in username order")
    func searchCap() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let directory = UserDirectory(database: client, logger: logger)
            let names = (1...60).map { String(format: "user%02d", $0) }
            for name in names.shuffled() { try await rows.user(name) }

            #expect(try await directory.search("").map(\.username) == Array(names.prefix(50)))
            #expect(try await directory.search("user").count == 50)
            #expect(try await directory.search("user", limit: 500).count == 50)
            #expect(try await directory.search("user", limit: 3).map(\.username) == ["user01", "user02", "user03"])
            #expect(try await directory.search("user5").map(\.username) == (50...59).map { "user\($0)" })
        }
    }

    @Test("LIKE patterns escape %, _ and the escape character")
    func searchPattern() {
        #expect(UserSearchPattern.containing("") == "%%")
        #expect(UserSearchPattern.containing("a%b_c\\d") == "%a\\%b\\_c\\\\d%")
        #expect(UserSearchPattern.containing("\\\u{301}") == "%\\\\\u{301}%")
    }

    @Test("an avatar URL carries the user-upload rule: non-media downloads, images stay inline")
    func avatarURLDisposition() throws {
        let signer = LocalBlobURLSigner(secret: SymmetricKey(size: .bits256), lifetimeSeconds: 900)
        let image = UserAvatar(fileID: 1, bucket: "bh-uploads", objectKey: "uploads/a.png", filename: "a.png", mimeType: "image/png")
        let page = UserAvatar(fileID: 2, bucket: "bh-uploads", objectKey: "uploads/p.html", filename: "p.html", mimeType: "text/html")
        let imageURL = try #require(image.url(signedBy: signer))
        let pageURL = try #require(page.url(signedBy: signer))
        #expect(imageURL.hasPrefix("/blobs/bh-uploads/uploads/a.png?"))
        #expect(!imageURL.contains("disposition="))
        #expect(pageURL.contains("disposition=attachment"))
    }
}
