import Crypto
import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport

@testable import MessengerCore

/// Chats and invites against a real database (jwt-api.md §3.3, §3.6): the transactional rules,
/// the concurrency guarantees, and the list, detail and membership queries.
@Suite("ChatService and InviteService")
struct ChatServiceTests {
    // MARK: Creating

    @Test("group: creator is owner, every member_ids entry a member at once; duplicates and the creator are dropped")
    func groupMembersAtOnce() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let bob = try await chats.rows.user("bob")
            let carol = try await chats.rows.user("carol")
            let creation = try await chats.service.create(
                ChatDraft(type: .group, memberIDs: [bob, carol, bob, owner], name: "E2E Test Group"), by: owner)
            #expect(creation.created)
            #expect(creation.type == .group)
            #expect(creation.title == "")
            let roles = try await chats.roles(in: creation.id)
            #expect(roles == [owner: "owner", bob: "member", carol: "member"])
            let stored = try await chats.row(
                "SELECT name, title, description, public_name::text FROM chats WHERE id = \(creation.id)",
                as: (String?, String?, String?, String?).self)
            #expect(stored?.0 == "E2E Test Group")
            #expect(stored?.1 == "")
            #expect(stored?.2 == "")
            #expect(stored?.3 == nil)
        }
    }

    @Test("channel: name is set to the title; a channel without a title is refused")
    func channelNameAndTitle() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let creation = try await chats.service.create(
                ChatDraft(type: .channel, name: "ignored", title: "News", description: "d", publicName: "news_1"), by: owner)
            #expect(creation.title == "News")
            let stored = try await chats.row(
                "SELECT name, title, public_name::text FROM chats WHERE id = \(creation.id)", as: (String?, String?, String?).self)
            #expect(stored?.0 == "News")
            #expect(stored?.1 == "News")
            #expect(stored?.2 == "news_1")
            await #expect(throws: ChatError.titleRequired) {
                try await chats.service.create(ChatDraft(type: .channel, name: "no title"), by: owner)
            }
        }
    }

    @Test("direct: exactly one other distinct member; [self] and [] are refused, [other, other] and [self, other] are fine")
    func directMemberCount() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let carol = try await chats.rows.user("carol")
            for members in [[alice], [], [bob, carol]] {
                await #expect(throws: ChatError.directChatNeedsOneOtherMember) {
                    try await chats.service.create(ChatDraft(type: .direct, memberIDs: members), by: alice)
                }
            }
            let first = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [bob, bob]), by: alice)
            let second = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [alice, bob]), by: alice)
            #expect(first.created)
            #expect(!second.created)
            #expect(first.id == second.id)
            #expect(first.title == nil)
            let stored = try await chats.row(
                "SELECT direct_key, owner_id, name, title, public_name::text FROM chats WHERE id = \(first.id)",
                as: (String?, Int64, String?, String?, String?).self)
            #expect(stored?.0 == "\(min(alice, bob)):\(max(alice, bob))")
            #expect(stored?.1 == alice)
            #expect(stored?.2 == nil && stored?.3 == nil && stored?.4 == nil)
            #expect(try await chats.roles(in: first.id) == [alice: "owner", bob: "member"])
        }
    }

    @Test("direct: naming fields are ignored, so a public_name on a direct chat neither fails nor is stored")
    func directIgnoresNaming() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let creation = try await chats.service.create(
                ChatDraft(type: .direct, memberIDs: [bob], name: "n", title: "t", description: "d", publicName: "!!"), by: alice)
            let stored = try await chats.row(
                "SELECT name, title, description, public_name::text FROM chats WHERE id = \(creation.id)",
                as: (String?, String?, String?, String?).self)
            #expect(stored?.0 == nil && stored?.1 == nil && stored?.2 == nil && stored?.3 == nil)
        }
    }

    @Test("direct: the other side's request returns the same chat")
    func directIsPerPair() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let mine = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [bob]), by: alice)
            let theirs = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [alice]), by: bob)
            #expect(mine.id == theirs.id)
            #expect(!theirs.created)
            #expect(try await chats.count("SELECT count(*) FROM chats") == 1)
        }
    }

    @Test("10 concurrent direct creations for one pair give one chat with two members; exactly one reports created")
    func concurrentDirectCreation() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let outcomes = try await withThrowingTaskGroup(of: ChatCreation.self) { group in
                for index in 0..<10 {
                    // Both directions, so the pair key, not the argument order, is what meets.
                    let (caller, other) = index.isMultiple(of: 2) ? (alice, bob) : (bob, alice)
                    group.addTask { try await chats.service.create(ChatDraft(type: .direct, memberIDs: [other]), by: caller) }
                }
                return try await group.reduce(into: [ChatCreation]()) { $0.append($1) }
            }
            #expect(Set(outcomes.map(\.id)).count == 1)
            #expect(outcomes.filter(\.created).count == 1)
            #expect(try await chats.count("SELECT count(*) FROM chats") == 1)
            #expect(try await chats.count("SELECT count(*) FROM chat_members") == 2)
        }
    }

    @Test("an unknown or soft-deleted member id is refused and nothing is created, for every chat type")
    func unknownMembers() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let gone = try await chats.rows.user("gone", isActive: false)
            let drafts = [
                ChatDraft(type: .group, memberIDs: [bob, 999_999], title: "g"),
                ChatDraft(type: .channel, memberIDs: [gone], title: "c"),
                ChatDraft(type: .direct, memberIDs: [999_999]),
                ChatDraft(type: .direct, memberIDs: [gone]),
                ChatDraft(type: .group, memberIDs: [-1], title: "g"),
            ]
            for draft in drafts {
                await #expect(throws: ChatError.unknownMember) { try await chats.service.create(draft, by: alice) }
            }
            #expect(try await chats.count("SELECT count(*) FROM chats") == 0)
            #expect(try await chats.count("SELECT count(*) FROM chat_members") == 0)
        }
    }

    @Test("public_name: pattern checked, empty stored as NULL, taken case-insensitively is a conflict")
    func publicNames() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            for invalid in ["ab", String(repeating: "a", count: 33), "has space", "dash-name", "ünï_code", "a.b"] {
                await #expect(throws: ChatError.invalidPublicName) {
                    try await chats.service.create(ChatDraft(type: .group, title: "g", publicName: invalid), by: alice)
                }
            }
            let empty = try await chats.service.create(ChatDraft(type: .group, title: "g", publicName: ""), by: alice)
            #expect(try await chats.count("SELECT count(*) FROM chats WHERE id = \(empty.id) AND public_name IS NULL") == 1)
            _ = try await chats.service.create(ChatDraft(type: .channel, title: "c", publicName: "Team_42"), by: alice)
            _ = try await chats.service.create(
                ChatDraft(type: .group, title: "g", publicName: String(repeating: "z", count: 32)), by: alice)
            await #expect(throws: ChatError.publicNameTaken) {
                try await chats.service.create(ChatDraft(type: .group, title: "g2", publicName: "team_42"), by: alice)
            }
            #expect(try await chats.count("SELECT count(*) FROM chats") == 3)
        }
    }

    @Test("PublicName accepts exactly ^[a-zA-Z0-9_]{3,32}$")
    func publicNamePattern() {
        #expect(PublicName.isValid("abc"))
        #expect(PublicName.isValid("A_b_9"))
        #expect(PublicName.isValid(String(repeating: "x", count: 32)))
        #expect(!PublicName.isValid("ab"))
        #expect(!PublicName.isValid(String(repeating: "x", count: 33)))
        #expect(!PublicName.isValid("abc!"))
        #expect(!PublicName.isValid("ábc"))
        #expect(!PublicName.isValid(""))
    }

    // MARK: Reading

    @Test("chat list: favourites first, then updated_at descending, then id descending")
    func listOrder() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            var ids: [Int64] = []
            for index in 0..<5 {
                ids.append(try await chats.service.create(ChatDraft(type: .group, title: "g\(index)"), by: alice).id)
            }
            // Explicit instants instead of waiting between writes; the trigger would overwrite them.
            try await chats.execute("ALTER TABLE chats DISABLE TRIGGER chats_set_updated_at")
            try await chats.execute("UPDATE chats SET updated_at = '2026-01-01T00:00:00Z' WHERE id = \(ids[0])")
            try await chats.execute("UPDATE chats SET updated_at = '2026-01-03T00:00:00Z' WHERE id = \(ids[1])")
            try await chats.execute("UPDATE chats SET updated_at = '2026-01-02T00:00:00Z' WHERE id IN (\(ids[2]), \(ids[3]))")
            try await chats.execute("UPDATE chats SET updated_at = '2026-01-05T00:00:00Z' WHERE id = \(ids[4])")
            try await chats.service.addFavorite(userID: alice, chatID: ids[0])
            try await chats.service.addFavorite(userID: alice, chatID: ids[2])
            let list = try await chats.service.chats(of: alice)
            #expect(list.map(\.id) == [ids[2], ids[0], ids[4], ids[1], ids[3]])
            #expect(list.map(\.isFavorite) == [true, true, false, false, false])
        }
    }

    @Test("chat list: last message is the highest id (\"\" without text, nil without messages); direct peer with display-name fallback data and a signed avatar")
    func listContents() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice", displayName: "Alice")
            let bob = try await chats.rows.user("bob")
            let avatar = try await chats.rows.file(uploader: bob, bucket: "bh-avatars", filename: "me.png")
            try await chats.rows.setAvatar(of: bob, to: avatar)
            let direct = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [bob]), by: alice).id
            let group = try await chats.service.create(ChatDraft(type: .group, memberIDs: [bob], title: "g"), by: alice).id
            let quiet = try await chats.service.create(ChatDraft(type: .group, title: "quiet"), by: alice).id
            try await chats.execute(
                """
                INSERT INTO messages (chat_id, sender_id, content, message_type)
                VALUES (\(direct), \(alice), 'first', 'text'), (\(direct), \(bob), 'second', 'text'),
                       (\(group), \(bob), 'hello', 'text'), (\(group), \(bob), NULL, 'voice')
                """)
            let list = try await chats.service.chats(of: alice)
            let byID = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0) })
            #expect(byID[direct]?.lastMessage == "second")
            #expect(byID[direct]?.lastAt != nil)
            #expect(byID[group]?.lastMessage == "")
            #expect(byID[quiet]?.lastMessage == nil)
            #expect(byID[quiet]?.lastAt == nil)
            let peer = try #require(byID[direct]?.peer)
            #expect(peer.id == bob)
            #expect(peer.username == "bob")
            #expect(peer.displayName == nil)
            #expect(peer.avatarURL?.contains("bh-avatars") == true)
            #expect(byID[group]?.peer == nil, "group chats have no other_* fields")
            let bobsView = try await chats.service.chats(of: bob)
            #expect(bobsView.first { $0.id == direct }?.peer?.displayName == "Alice")
            #expect(bobsView.first { $0.id == direct }?.peer?.avatarURL == nil)
        }
    }

    @Test("chat lists: once sends run, the newest message comes from the chat row, and racing sends leave the highest id there")
    func listAfterSends() async throws {
        try await TestCoreServices.with { core, client in
            let rows = UserFixtureRows(client: client)
            let alice = try await rows.user("alice")
            let bob = try await rows.user("bob")
            let chats = ChatService(core: core)
            let direct = try await chats.create(ChatDraft(type: .direct, memberIDs: [bob]), by: alice).id
            // Written around the send statement, as the migrator writes: read through the index.
            try await client.query(
                "INSERT INTO messages (chat_id, sender_id, content, message_type) VALUES (\(direct), \(bob), 'copied', 'text')",
                logger: Self.logger)
            #expect(try await chats.chats(of: alice).first { $0.id == direct }?.lastMessage == "copied")

            let messages = MessageService(core: core)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        _ = try await messages.send(MessageDraft(content: "sent \(index)", kind: .text), from: index % 2 == 0 ? alice : bob, to: direct)
                    }
                }
                try await group.waitForAll()
            }
            let newest = try await rows.scalar(
                "SELECT content FROM messages WHERE chat_id = \(direct) ORDER BY id DESC LIMIT 1", as: String.self)
            #expect(try await rows.scalar("SELECT last_message_content FROM chats WHERE id = \(direct)", as: String.self) == newest)
            #expect(try await chats.chats(of: alice).first { $0.id == direct }?.lastMessage == newest)
            let legacyEntry = try await chats.directChats(of: bob).first { $0.id == direct }
            #expect(legacyEntry?.lastMessageContent == newest)
            #expect(legacyEntry?.lastMessageKind == "text")
        }
    }

    @Test("chat list: muted only with a NULL or future muted_until (D-28); the list is the caller's chats only")
    func listMutes() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let forever = try await chats.service.create(ChatDraft(type: .group, title: "a"), by: alice).id
            let future = try await chats.service.create(ChatDraft(type: .group, title: "b"), by: alice).id
            let expired = try await chats.service.create(ChatDraft(type: .group, title: "c"), by: alice).id
            let unmuted = try await chats.service.create(ChatDraft(type: .group, title: "d"), by: alice).id
            _ = try await chats.service.create(ChatDraft(type: .group, title: "not mine"), by: bob)
            try await chats.service.mute(userID: alice, chatID: forever, until: nil)
            try await chats.service.mute(userID: alice, chatID: future, until: Date(timeIntervalSinceNow: 86_400 * 365))
            try await chats.service.mute(userID: alice, chatID: expired, until: Date(timeIntervalSince1970: 1_600_000_000))
            try await chats.service.mute(userID: alice, chatID: unmuted, until: nil)
            try await chats.service.unmute(userID: alice, chatID: unmuted)
            let list = try await chats.service.chats(of: alice)
            let muted = Dictionary(uniqueKeysWithValues: list.map { ($0.id, $0.isMuted) })
            #expect(muted == [forever: true, future: true, expired: false, unmuted: false])
        }
    }

    @Test("detail: members by joined_at then id, raw display names, my role and member count; non-members and missing chats are refused")
    func detail() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner", displayName: "")
            let bob = try await chats.rows.user("bob", displayName: "Bob")
            let carol = try await chats.rows.user("carol")
            let stranger = try await chats.rows.user("stranger")
            let id = try await chats.service.create(ChatDraft(type: .group, memberIDs: [carol, bob], title: "t"), by: owner).id
            try await chats.execute("UPDATE chat_members SET joined_at = '2026-01-01T00:00:00Z' WHERE chat_id = \(id) AND user_id = \(carol)")
            let detail = try await chats.service.detail(of: id, for: bob)
            // Carol joined first; owner and bob joined together and go by id.
            #expect(detail.members.map(\.id) == [carol, owner, bob])
            #expect(detail.members.first { $0.id == owner }?.displayName == "")
            #expect(detail.members.first { $0.id == carol }?.displayName == nil)
            #expect(detail.members.first { $0.id == owner }?.role == .owner)
            #expect(detail.myRole == .member)
            #expect(detail.memberCount == 3)
            #expect(detail.ownerID == owner)
            await #expect(throws: ChatError.notAMember) { try await chats.service.detail(of: id, for: stranger) }
            await #expect(throws: ChatError.notAMember) { try await chats.service.detail(of: 424_242, for: bob) }
        }
    }

    @Test("detail: members are capped at 200 while member_count counts all")
    func detailCap() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            try await chats.execute(
                """
                INSERT INTO users (username, email, password_hash)
                SELECT 'm' || n, 'm' || n || '@example.test', 'x' FROM generate_series(1, 205) AS n
                """)
            let id = try await chats.service.create(ChatDraft(type: .group, title: "big"), by: owner).id
            try await chats.execute("INSERT INTO chat_members (chat_id, user_id) SELECT \(id), id FROM users WHERE id <> \(owner)")
            let detail = try await chats.service.detail(of: id, for: owner)
            #expect(detail.members.count == ChatService.memberListCap)
            #expect(detail.memberCount == 206)
        }
    }

    @Test("public profile: case-insensitive exact match with member count; unknown names are not found")
    func publicProfile() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let bob = try await chats.rows.user("bob")
            let id = try await chats.service.create(
                ChatDraft(type: .channel, memberIDs: [bob], title: "News", publicName: "Daily_News"), by: owner).id
            let profile = try await chats.service.publicProfile(named: "daily_news")
            #expect(profile.id == id)
            #expect(profile.publicName == "Daily_News")
            #expect(profile.memberCount == 2)
            #expect(profile.type == .channel)
            await #expect(throws: ChatError.notFound) { try await chats.service.publicProfile(named: "daily_new") }
        }
    }

    // MARK: Favourites, mutes, membership

    @Test("favourite and mute need membership; adding twice is idempotent; removing needs none")
    func settingsNeedMembership() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let stranger = try await chats.rows.user("stranger")
            let id = try await chats.service.create(ChatDraft(type: .group, title: "g"), by: owner).id
            await #expect(throws: ChatError.notAMember) { try await chats.service.addFavorite(userID: stranger, chatID: id) }
            await #expect(throws: ChatError.notAMember) { try await chats.service.mute(userID: stranger, chatID: id, until: nil) }
            await #expect(throws: ChatError.notAMember) { try await chats.service.addFavorite(userID: owner, chatID: 999_999) }
            try await chats.service.removeFavorite(userID: stranger, chatID: id)
            try await chats.service.unmute(userID: stranger, chatID: 999_999)
            try await chats.service.addFavorite(userID: owner, chatID: id)
            try await chats.service.addFavorite(userID: owner, chatID: id)
            try await chats.service.mute(userID: owner, chatID: id, until: Date(timeIntervalSince1970: 1_600_000_000))
            try await chats.service.mute(userID: owner, chatID: id, until: nil)
            #expect(try await chats.count("SELECT count(*) FROM chat_favorites") == 1)
            #expect(try await chats.count("SELECT count(*) FROM chat_mute_settings WHERE muted_until IS NULL") == 1)
        }
    }

    @Test("ChatMembership: role, type and access; nil for non-members and missing chats")
    func membershipQueries() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let bob = try await chats.rows.user("bob")
            let stranger = try await chats.rows.user("stranger")
            let id = try await chats.service.create(ChatDraft(type: .channel, memberIDs: [bob], title: "c"), by: owner).id
            #expect(try await chats.membership.role(of: owner, in: id) == .owner)
            #expect(try await chats.membership.role(of: bob, in: id) == .member)
            #expect(try await chats.membership.role(of: stranger, in: id) == nil)
            #expect(try await chats.membership.role(of: owner, in: 999_999) == nil)
            #expect(try await chats.membership.chatType(of: id) == .channel)
            #expect(try await chats.membership.chatType(of: 999_999) == nil)
            #expect(try await chats.membership.access(of: bob, to: id) == ChatMembership.Access(chatType: .channel, role: .member))
            #expect(try await chats.membership.access(of: stranger, to: id) == ChatMembership.Access(chatType: .channel, role: nil))
            #expect(try await chats.membership.access(of: bob, to: 999_999) == nil)
        }
    }

    @Test("a database failure is thrown as such, never reported as not a member (D-31)")
    func databaseFailureIsNotNonMembership() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let id = try await chats.service.create(ChatDraft(type: .group, title: "g"), by: owner).id
            try await chats.execute("ALTER TABLE chat_members RENAME TO chat_members_gone")
            await #expect(throws: PSQLError.self) { try await chats.membership.role(of: owner, in: id) }
            await #expect(throws: PSQLError.self) { try await chats.service.addFavorite(userID: owner, chatID: id) }
            await #expect(throws: PSQLError.self) { try await chats.service.leave(userID: owner, chatID: id) }
            await #expect(throws: PSQLError.self) { try await chats.service.detail(of: id, for: owner) }
        }
    }

    // MARK: Leaving

    @Test("leave: a member leaves with favourite and mute rows dropped; the departure tells who is left")
    func memberLeaves() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let bob = try await chats.rows.user("bob")
            let id = try await chats.service.create(ChatDraft(type: .group, memberIDs: [bob], title: "g"), by: owner).id
            try await chats.service.addFavorite(userID: bob, chatID: id)
            try await chats.service.mute(userID: bob, chatID: id, until: nil)
            try await chats.service.addFavorite(userID: owner, chatID: id)
            let departure = try await chats.service.leave(userID: bob, chatID: id)
            #expect(departure == ChatDeparture(chatID: id, userID: bob, remainingMembers: 1, revokedInvites: 0))
            #expect(try await chats.count("SELECT count(*) FROM chat_favorites WHERE user_id = \(bob)") == 0)
            #expect(try await chats.count("SELECT count(*) FROM chat_mute_settings WHERE user_id = \(bob)") == 0)
            #expect(try await chats.count("SELECT count(*) FROM chat_favorites WHERE user_id = \(owner)") == 1)
            await #expect(throws: ChatError.notAMember) { try await chats.service.leave(userID: bob, chatID: id) }
            await #expect(throws: ChatError.notAMember) { try await chats.service.leave(userID: bob, chatID: 999_999) }
        }
    }

    @Test("leave: the owner must stay while others remain; as the last member the owner leaves and the invites are revoked (D-25)")
    func ownerLeaves() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let bob = try await chats.rows.user("bob")
            let id = try await chats.service.create(ChatDraft(type: .group, memberIDs: [bob], title: "g"), by: owner).id
            let first = try await chats.invites.create(in: id, by: owner)
            _ = try await chats.invites.create(in: id, by: owner)
            await #expect(throws: ChatError.ownerMustStay) { try await chats.service.leave(userID: owner, chatID: id) }
            _ = try await chats.service.leave(userID: bob, chatID: id)
            let departure = try await chats.service.leave(userID: owner, chatID: id)
            #expect(departure.remainingMembers == 0)
            #expect(departure.revokedInvites == 2)
            #expect(try await chats.count("SELECT count(*) FROM invites WHERE revoked_at IS NULL") == 0)
            await #expect(throws: InviteError.revoked) { try await chats.invites.join(token: first.token, userID: bob) }
        }
    }

    @Test("direct: only the non-creator can leave; asking for the pair's chat again brings the leaver back")
    func directLeaveAndReturn() async throws {
        try await Self.withChats { chats in
            let alice = try await chats.rows.user("alice")
            let bob = try await chats.rows.user("bob")
            let id = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [bob]), by: alice).id
            await #expect(throws: ChatError.ownerMustStay) { try await chats.service.leave(userID: alice, chatID: id) }
            _ = try await chats.service.leave(userID: bob, chatID: id)
            let again = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [alice]), by: bob)
            #expect(again.id == id)
            #expect(!again.created)
            #expect(try await chats.roles(in: id) == [alice: "owner", bob: "member"])
        }
    }

    // MARK: Invites

    @Test("invites: owners and admins create and list, newest first; members, strangers and direct chats are refused")
    func inviteManagement() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let admin = try await chats.rows.user("admin")
            let bob = try await chats.rows.user("bob")
            let stranger = try await chats.rows.user("stranger")
            let id = try await chats.service.create(ChatDraft(type: .group, memberIDs: [admin, bob], title: "g"), by: owner).id
            try await chats.execute("UPDATE chat_members SET role = 'admin' WHERE chat_id = \(id) AND user_id = \(admin)")
            let first = try await chats.invites.create(in: id, by: owner)
            let second = try await chats.invites.create(in: id, by: admin)
            #expect(first.token != second.token)
            #expect(first.token.count == 36 && first.token == first.token.lowercased())
            #expect(first.link == "/join/\(first.token)")
            #expect(second.createdBy == admin)
            #expect(try await chats.invites.activeInvites(of: id, requestedBy: admin).map(\.token) == [second.token, first.token])
            await #expect(throws: InviteError.notManager) { try await chats.invites.create(in: id, by: bob) }
            await #expect(throws: InviteError.notManager) { try await chats.invites.activeInvites(of: id, requestedBy: bob) }
            await #expect(throws: InviteError.chatNotAccessible) { try await chats.invites.create(in: id, by: stranger) }
            await #expect(throws: InviteError.chatNotAccessible) { try await chats.invites.create(in: 999_999, by: owner) }
            await #expect(throws: InviteError.chatNotAccessible) { try await chats.invites.activeInvites(of: id, requestedBy: stranger) }
            let direct = try await chats.service.create(ChatDraft(type: .direct, memberIDs: [bob]), by: owner).id
            await #expect(throws: InviteError.directChat) { try await chats.invites.create(in: direct, by: owner) }
            await #expect(throws: InviteError.directChat) { try await chats.invites.create(in: direct, by: bob) }
        }
    }

    @Test("invites: revoke by owner or admin only, once; preview and join then answer revoked")
    func inviteRevocation() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let bob = try await chats.rows.user("bob")
            let stranger = try await chats.rows.user("stranger")
            let id = try await chats.service.create(ChatDraft(type: .group, memberIDs: [bob], title: "g"), by: owner).id
            let invite = try await chats.invites.create(in: id, by: owner)
            await #expect(throws: InviteError.notManager) { try await chats.invites.revoke(token: invite.token, by: bob) }
            await #expect(throws: InviteError.notFound) { try await chats.invites.revoke(token: invite.token, by: stranger) }
            await #expect(throws: InviteError.notFound) { try await chats.invites.revoke(token: "no-such-token", by: owner) }
            try await chats.invites.revoke(token: invite.token, by: owner)
            await #expect(throws: InviteError.notFound) { try await chats.invites.revoke(token: invite.token, by: owner) }
            await #expect(throws: InviteError.revoked) { try await chats.invites.preview(token: invite.token) }
            await #expect(throws: InviteError.revoked) { try await chats.invites.join(token: invite.token, userID: stranger) }
            await #expect(throws: InviteError.notFound) { try await chats.invites.preview(token: "no-such-token") }
            await #expect(throws: InviteError.notFound) { try await chats.invites.join(token: "no-such-token", userID: stranger) }
        }
    }

    @Test("invites: preview shows the chat; join adds a member once and then reports the existing role")
    func inviteJoin() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let joiner = try await chats.rows.user("joiner")
            let id = try await chats.service.create(ChatDraft(type: .group, name: "only a name"), by: owner).id
            let invite = try await chats.invites.create(in: id, by: owner)
            #expect(try await chats.invites.preview(token: invite.token) == InvitePreview(
                chatID: id, type: .group, title: "", description: "", memberCount: 1))
            #expect(try await chats.invites.join(token: invite.token, userID: joiner) == InviteAcceptance(
                chatID: id, role: .member, alreadyMember: false))
            #expect(try await chats.invites.join(token: invite.token, userID: joiner) == InviteAcceptance(
                chatID: id, role: .member, alreadyMember: true))
            #expect(try await chats.invites.join(token: invite.token, userID: owner) == InviteAcceptance(
                chatID: id, role: .owner, alreadyMember: true))
            #expect(try await chats.invites.preview(token: invite.token).memberCount == 2)
        }
    }

    @Test("invites: 10 concurrent joins by one user all succeed, exactly one as a new member (D-29)")
    func concurrentJoins() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let joiner = try await chats.rows.user("joiner")
            let id = try await chats.service.create(ChatDraft(type: .group, title: "g"), by: owner).id
            let invite = try await chats.invites.create(in: id, by: owner)
            let outcomes = try await withThrowingTaskGroup(of: InviteAcceptance.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await chats.invites.join(token: invite.token, userID: joiner) }
                }
                return try await group.reduce(into: [InviteAcceptance]()) { $0.append($1) }
            }
            #expect(outcomes.count == 10)
            #expect(outcomes.filter { !$0.alreadyMember }.count == 1)
            #expect(outcomes.allSatisfy { $0.chatID == id && $0.role == .member })
            #expect(try await chats.count("SELECT count(*) FROM chat_members WHERE chat_id = \(id)") == 2)
        }
    }

    @Test("invites: the list is capped at 100")
    func inviteListCap() async throws {
        try await Self.withChats { chats in
            let owner = try await chats.rows.user("owner")
            let id = try await chats.service.create(ChatDraft(type: .group, title: "g"), by: owner).id
            try await chats.execute("INSERT INTO invites (chat_id, created_by) SELECT \(id), \(owner) FROM generate_series(1, 105)")
            #expect(try await chats.invites.activeInvites(of: id, requestedBy: owner).count == InviteService.listCap)
        }
    }

    // MARK: Helpers

    static let logger = Logger(label: "chat-tests")

    /// The services over a scratch database, with SQL helpers for setup and assertions.
    struct Fixture: Sendable {
        let service: ChatService
        let invites: InviteService
        let membership: ChatMembership
        let rows: UserFixtureRows
        let client: PostgresClient

        func execute(_ query: PostgresQuery) async throws {
            try await client.query(query, logger: ChatServiceTests.logger)
        }

        func count(_ query: PostgresQuery) async throws -> Int64 {
            try await rows.scalar(query, as: Int64.self) ?? -1
        }

        func row<each Column: PostgresDecodable>(
            _ query: PostgresQuery, as type: (repeat each Column).Type
        ) async throws -> (repeat each Column)? {
            let result = try await client.query(query, logger: ChatServiceTests.logger)
            for try await row in result {
                return try row.decode(type)
            }
            return nil
        }

        func roles(in chatID: Int64) async throws -> [Int64: String] {
            let result = try await client.query(
                "SELECT user_id, role FROM chat_members WHERE chat_id = \(chatID)", logger: ChatServiceTests.logger)
            var roles: [Int64: String] = [:]
            for try await (user, role) in result.decode((Int64, String).self) { roles[user] = role }
            return roles
        }
    }

    static func withChats(_ body: @Sendable (Fixture) async throws -> Void) async throws {
        try await TestCoreServices.with { core, client in
            try await body(Fixture(
                service: ChatService(core: core), invites: InviteService(core: core), membership: ChatMembership(core: core),
                rows: UserFixtureRows(client: client), client: client))
        }
    }
}

