import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// The chat routes of jwt-api.md §3.3 against the real gateway binary: shapes, every error
/// string, the per-route authorization statuses, and the concurrency guarantees.
@Suite("JWT API: chats (real gateway binary)")
struct ChatAPITests {
    static let environment = ["RATE_LIMIT_ENABLED": "false"]
    static let logger = Logger(label: "chat-api-tests")
    static let rfc3339 = #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#

    // MARK: Creating

    @Test("group and channel creation: 201 with id, type and a non-empty title; members present at once")
    func createGroupAndChannel() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")

            let smoke = try await alice.request(.POST, "/chats", json: ["type": "group", "name": "E2E Test Group", "member_ids": [bob.userID]])
            #expect(smoke.status == 201)
            let smokeBody = try smoke.object()
            #expect(Set(smokeBody.keys) == ["id", "type"], "title only when non-empty")
            #expect(smokeBody["type"] as? String == "group")
            let groupID = try #require(Self.int(smokeBody["id"]))
            #expect(try await Self.count(client, "SELECT count(*) FROM chat_members WHERE chat_id = \(groupID)") == 2)

            let titled = try await alice.request(
                .POST, "/chats", json: ["type": "group", "title": "Team", "description": "d", "member_ids": [bob.userID]])
            #expect(titled.status == 201)
            #expect(try titled.object()["title"] as? String == "Team")

            let channel = try await alice.request(
                .POST, "/chats", json: ["type": "channel", "title": "News", "description": "", "public_name": "News_1", "member_ids": []])
            #expect(channel.status == 201)
            let channelBody = try channel.object()
            #expect(channelBody["type"] as? String == "channel")
            #expect(channelBody["title"] as? String == "News")

            let detail = try await bob.request(.GET, "/chats/\(groupID)")
            #expect(detail.status == 200)
            #expect(try detail.object()["my_role"] as? String == "member")
        }
    }

    @Test("POST /chats refusals, each with its exact message, and nothing created")
    func createValidation() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let gone = try await APISession.register(on: gateway, username: "gone")
            try await client.query("UPDATE users SET is_active = false WHERE id = \(gone.userID)", logger: Self.logger)

            let raw: [(String?, String)] = [
                ("application/json", "[1, 2]"),
                ("application/json", "{not json"),
                ("text/plain", #"{"type":"group","title":"x"}"#),
                (nil, ""),
            ]
            for (contentType, body) in raw {
                let reply = try await Self.raw(gateway, alice, .POST, "/chats", contentType: contentType, body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(try Self.error(reply) == "Invalid JSON", "\(body)")
            }

            let refusals: [([String: Any], Int, String)] = [
                (["type": "secret"], 400, "type must be 'direct', 'group', or 'channel'"),
                (["type": 5], 400, "type must be 'direct', 'group', or 'channel'"),
                (["type": "Group"], 400, "type must be 'direct', 'group', or 'channel'"),
                (["type": "group", "member_ids": ["a"]], 400, "member_ids must be an array of integers"),
                (["type": "group", "member_ids": "1,2"], 400, "member_ids must be an array of integers"),
                (["type": "direct", "member_ids": [1.5]], 400, "member_ids must be an array of integers"),
                (["type": "group", "member_ids": [true]], 400, "member_ids must be an array of integers"),
                (["type": "channel", "title": ""], 400, "title is required for channel type"),
                (["type": "channel", "name": "only name"], 400, "title is required for channel type"),
                (["type": "direct", "member_ids": [alice.userID]], 400, "direct chat requires exactly one other member_id"),
                (["type": "direct"], 400, "direct chat requires exactly one other member_id"),
                ([:], 400, "direct chat requires exactly one other member_id"),
                (["type": "direct", "member_ids": [bob.userID, gone.userID]], 400, "direct chat requires exactly one other member_id"),
                (["type": "direct", "member_ids": [999_999]], 400, "member_ids contains an unknown user id"),
                (["type": "direct", "member_ids": [gone.userID]], 400, "member_ids contains an unknown user id"),
                (["type": "group", "title": "g", "member_ids": [bob.userID, 999_999]], 400, "member_ids contains an unknown user id"),
                (["type": "channel", "title": "c", "member_ids": [gone.userID]], 400, "member_ids contains an unknown user id"),
                (["type": "group", "title": "g", "public_name": "ab"], 400, "public_name must be 3-32 characters: letters, digits, underscores only"),
                (["type": "channel", "title": "c", "public_name": "with space"], 400, "public_name must be 3-32 characters: letters, digits, underscores only"),
                (["type": "group", "title": "g", "public_name": 123], 400, "public_name must be 3-32 characters: letters, digits, underscores only"),
                (["type": "group", "title": 7], 400, "title must be a string"),
            ]
            for (body, status, message) in refusals {
                let reply = try await alice.request(.POST, "/chats", json: body)
                #expect(reply.status == status, "\(body)")
                #expect(try Self.error(reply) == message, "\(body)")
            }
            #expect(try await Self.count(client, "SELECT count(*) FROM chats") == 0)
            #expect(try await Self.count(client, "SELECT count(*) FROM chat_members") == 0)

            let first = try await alice.request(.POST, "/chats", json: ["type": "channel", "title": "c", "public_name": "Taken_Name"])
            #expect(first.status == 201)
            for type in ["group", "channel"] {
                let conflict = try await bob.request(.POST, "/chats", json: ["type": type, "title": "t", "public_name": "taken_NAME"])
                #expect(conflict.status == 409)
                #expect(try Self.error(conflict) == "public_name already taken")
            }
            // Naming fields of a direct chat are ignored, so a taken or invalid name does not matter.
            let direct = try await alice.request(
                .POST, "/chats", json: ["type": "direct", "member_ids": [bob.userID], "public_name": "taken_name", "title": 5])
            #expect(direct.status == 201)

            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/chats", method: .POST)
            #expect(anonymous.status == 401)
            #expect(try Self.error(anonymous) == "Missing Authorization header")
        }
    }

    @Test("direct chats: 201 then 200 with the same id from either side; 10 concurrent creations give one chat")
    func directChats() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let carol = try await APISession.register(on: gateway, username: "carol")

            let created = try await alice.request(.POST, "/chats", json: ["type": "direct", "member_ids": [bob.userID]])
            #expect(created.status == 201)
            let body = try created.object()
            #expect(Set(body.keys) == ["id", "type"])
            #expect(body["type"] as? String == "direct")
            let id = try #require(Self.int(body["id"]))
            for (caller, other) in [(alice, bob), (bob, alice)] {
                let again = try await caller.request(.POST, "/chats", json: ["type": "direct", "member_ids": [other.userID, other.userID]])
                #expect(again.status == 200)
                #expect(Self.int(try again.object()["id"]) == id)
                #expect(try again.object()["type"] as? String == "direct")
            }

            let statuses = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
                for index in 0..<10 {
                    let (caller, other) = index.isMultiple(of: 2) ? (alice, carol) : (carol, alice)
                    group.addTask {
                        let reply = try await caller.request(.POST, "/chats", json: ["type": "direct", "member_ids": [other.userID]])
                        return (reply.status, Self.int(try reply.object()["id"]))
                    }
                }
                return try await group.reduce(into: [(Int, Int64?)]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 1)
            #expect(statuses.filter { $0.0 == 200 }.count == 9)
            #expect(Set(statuses.map(\.1)).count == 1)
            #expect(try await Self.count(client, "SELECT count(*) FROM chats WHERE type = 'direct'") == 2)
        }
    }

    // MARK: Reading

    @Test("GET /chats/{id}: every ChatDetail field, explicit nulls, members by joined_at; 404 for strangers")
    func chatDetail() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let stranger = try await APISession.register(on: gateway, username: "eve")
            try await client.query("UPDATE users SET display_name = 'Bobby' WHERE id = \(bob.userID)", logger: Self.logger)
            try await client.query("UPDATE users SET display_name = NULL WHERE id = \(alice.userID)", logger: Self.logger)
            let id = try await Self.createChat(alice, ["type": "group", "name": "n", "member_ids": [bob.userID]])

            let reply = try await bob.request(.GET, "/chats/\(id)")
            #expect(reply.status == 200)
            let detail = try reply.object()
            #expect(Set(detail.keys) == [
                "id", "type", "name", "title", "description", "public_name", "owner_id", "created_at", "members", "my_role", "member_count",
            ])
            #expect(Self.int(detail["id"]) == id)
            #expect(detail["type"] as? String == "group")
            #expect(detail["name"] as? String == "n")
            #expect(detail["title"] as? String == "")
            #expect(detail["public_name"] is NSNull)
            #expect(Self.int(detail["owner_id"]) == alice.userID)
            #expect((detail["created_at"] as? String)?.range(of: Self.rfc3339, options: .regularExpression) != nil)
            #expect(detail["my_role"] as? String == "member")
            #expect(Self.int(detail["member_count"]) == 2)
            let members = try #require(detail["members"] as? [[String: Any]])
            #expect(members.map { Self.int($0["id"]) } == [alice.userID, bob.userID])
            #expect(members.map { $0["role"] as? String } == ["owner", "member"])
            #expect(members[0]["display_name"] is NSNull, "no username fallback in ChatDetail")
            #expect(members[1]["display_name"] as? String == "Bobby")
            #expect(members[0]["username"] as? String == alice.username)

            for path in ["/chats/\(id)", "/chats/999999"] {
                let hidden = try await stranger.request(.GET, path)
                #expect(hidden.status == 404)
                #expect(try Self.error(hidden) == "Chat not found or access denied")
            }
            for path in ["/chats/abc", "/chats/0", "/chats/-1", "/chats/99999999999999999999"] {
                let invalid = try await alice.request(.GET, path)
                #expect(invalid.status == 404, "\(path)")
                #expect(try Self.error(invalid) == "Not found", "\(path)")
            }
        }
    }

    @Test("GET /chats/by-name/{name}: public, case-insensitive, never captured by /chats/{id}; 404 Chat not found")
    func byName() async throws {
        try await Self.withGateway { gateway, _ in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let id = try await Self.createChat(
                alice, ["type": "channel", "title": "News", "description": "daily", "public_name": "Daily_News", "member_ids": [bob.userID]])

            let reply = try await HTTPTestClient.request(gateway.baseURL + "/chats/by-name/daily%5FNEWS")
            #expect(reply.status == 200)
            let body = try reply.object()
            #expect(Set(body.keys) == ["id", "type", "name", "title", "description", "public_name", "created_at", "member_count"])
            #expect(Self.int(body["id"]) == id)
            #expect(body["type"] as? String == "channel")
            #expect(body["name"] as? String == "News")
            #expect(body["title"] as? String == "News")
            #expect(body["description"] as? String == "daily")
            #expect(body["public_name"] as? String == "Daily_News")
            #expect(Self.int(body["member_count"]) == 2)
            #expect((body["created_at"] as? String)?.range(of: Self.rfc3339, options: .regularExpression) != nil)

            // Literal segments that could collide with the chat routes' parameters.
            for name in ["nothing_here", "favorite", "leave", "123", "bad%zz", "daily_news%00"] {
                let missing = try await HTTPTestClient.request(gateway.baseURL + "/chats/by-name/\(name)")
                #expect(missing.status == 404, "\(name)")
                #expect(try Self.error(missing) == "Chat not found", "\(name)")
            }
            let bare = try await alice.request(.GET, "/chats/by-name")
            #expect(bare.status == 404)
            #expect(try Self.error(bare) == "Not found")
        }
    }

    @Test("GET /chats: every ChatListItem field, direct peers, last message, favourites first, then updated_at and id")
    func chatList() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let carol = try await APISession.register(on: gateway, username: "carol")
            try await client.query("UPDATE users SET display_name = 'Carol C' WHERE id = \(carol.userID)", logger: Self.logger)
            try await client.query("UPDATE users SET display_name = NULL WHERE id = \(bob.userID)", logger: Self.logger)
            try await client.query(
                """
                WITH avatar AS (
                    INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type)
                    VALUES (\(carol.userID), 'bh-avatars', 'avatars/carol-face.png', 'face.png', 'image/png') RETURNING id
                )
                UPDATE users SET avatar_file_id = (SELECT id FROM avatar) WHERE id = \(carol.userID)
                """, logger: Self.logger)
            let withBob = try await Self.createChat(alice, ["type": "direct", "member_ids": [bob.userID]])
            let withCarol = try await Self.createChat(alice, ["type": "direct", "member_ids": [carol.userID]])
            let group = try await Self.createChat(alice, ["type": "group", "title": "G", "member_ids": [bob.userID]])
            let channel = try await Self.createChat(alice, ["type": "channel", "title": "C", "public_name": "chan_1"])
            try await client.query(
                """
                INSERT INTO messages (chat_id, sender_id, content, message_type)
                VALUES (\(withBob), \(bob.userID), 'older', 'text'), (\(withBob), \(bob.userID), 'newest', 'text'),
                       (\(group), \(alice.userID), NULL, 'voice')
                """, logger: Self.logger)
            try await client.query("ALTER TABLE chats DISABLE TRIGGER chats_set_updated_at", logger: Self.logger)
            for (chat, day) in [(withBob, 4), (withCarol, 2), (group, 3), (channel, 2)] {
                try await client.query(
                    "UPDATE chats SET updated_at = \("2026-01-0\(day)T00:00:00Z")::timestamptz WHERE id = \(chat)", logger: Self.logger)
            }
            #expect(try await alice.request(.POST, "/chats/\(withCarol)/favorite").status == 204)

            let reply = try await alice.request(.GET, "/chats")
            #expect(reply.status == 200)
            let list = try #require(try reply.json() as? [[String: Any]])
            // withCarol is a favourite; then updated_at: withBob (4), group (3); withCarol/channel tie at 2 → id desc.
            #expect(list.map { Self.int($0["id"]) } == [withCarol, withBob, group, channel])
            let keys: Set<String> = [
                "id", "type", "name", "title", "description", "public_name", "updated_at", "last_message", "last_preview", "last_at",
                "is_favorite", "is_muted", "other_user_id", "other_username", "other_display_name", "other_avatar_url",
            ]
            for item in list {
                #expect(Set(item.keys) == keys)
                #expect((item["updated_at"] as? String)?.range(of: Self.rfc3339, options: .regularExpression) != nil)
            }
            let byID = Dictionary(uniqueKeysWithValues: list.compactMap { item in Self.int(item["id"]).map { ($0, item) } })
            let direct = try #require(byID[withBob])
            #expect(direct["type"] as? String == "direct")
            #expect(direct["last_message"] as? String == "newest")
            #expect(direct["last_preview"] as? String == "newest")
            #expect((direct["last_at"] as? String)?.range(of: Self.rfc3339, options: .regularExpression) != nil)
            #expect(Self.int(direct["other_user_id"]) == bob.userID)
            #expect(direct["other_username"] as? String == bob.username)
            #expect(direct["other_display_name"] as? String == bob.username, "username when display_name is NULL")
            #expect(direct["other_avatar_url"] is NSNull)
            #expect(direct["name"] is NSNull && direct["title"] is NSNull && direct["public_name"] is NSNull)
            #expect(direct["is_favorite"] as? Bool == false)
            #expect(direct["is_muted"] as? Bool == false)
            #expect(byID[withCarol]?["other_display_name"] as? String == "Carol C")
            #expect((byID[withCarol]?["other_avatar_url"] as? String)?.contains("avatars/carol-face.png") == true)
            #expect(byID[withCarol]?["is_favorite"] as? Bool == true)
            #expect(byID[withCarol]?["last_message"] is NSNull)
            #expect(byID[withCarol]?["last_preview"] is NSNull)
            #expect(byID[withCarol]?["last_at"] is NSNull)
            let groupItem = try #require(byID[group])
            #expect(groupItem["last_message"] as? String == "", "a voice message has no text")
            #expect(groupItem["other_user_id"] is NSNull && groupItem["other_username"] is NSNull)
            #expect(groupItem["other_display_name"] is NSNull && groupItem["other_avatar_url"] is NSNull)
            #expect(byID[channel]?["public_name"] as? String == "chan_1")

            let bobs = try #require(try await bob.request(.GET, "/chats").json() as? [[String: Any]])
            #expect(Set(bobs.compactMap { Self.int($0["id"]) }) == [withBob, group])
            #expect(bobs.first { Self.int($0["id"]) == withBob }?["other_username"] as? String == alice.username)
        }
    }

    @Test("public lookups (by-name, invite preview) share a per-IP limit: over 60 a minute answers 429 with Retry-After")
    func publicLookupRateLimit() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                // 121 requests: however a window boundary splits them, one window sees more than 60.
                var limited: HTTPTestClient.Reply?
                for index in 0..<121 where limited == nil {
                    let path = index.isMultiple(of: 2) ? "/chats/by-name/nobody_here" : "/invites/unknown/preview"
                    let reply = try await HTTPTestClient.request(gateway.baseURL + path)
                    if reply.status == 429 { limited = reply } else { #expect(reply.status == 404) }
                }
                let reply = try #require(limited)
                #expect(try Self.error(reply) == "Too many requests")
                #expect(reply.headers.first(name: "Retry-After").flatMap(Int.init) != nil)
            }
        }
    }

    // MARK: Favourites and mutes

    @Test("favourite and mute: 204, idempotent; muted_until forms; expired mute is not muted; DELETE needs no membership")
    func favoriteAndMute() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let stranger = try await APISession.register(on: gateway, username: "eve")
            let id = try await Self.createChat(alice, ["type": "group", "title": "g"])
            func item() async throws -> [String: Any]? {
                let list = try await alice.request(.GET, "/chats").json() as? [[String: Any]]
                return list?.first { Self.int($0["id"]) == id }
            }

            #expect(try await alice.request(.POST, "/chats/\(id)/favorite").status == 204)
            #expect(try await alice.request(.POST, "/chats/\(id)/favorite").status == 204)
            #expect(try await item()?["is_favorite"] as? Bool == true)
            #expect(try await alice.request(.DELETE, "/chats/\(id)/favorite").status == 204)
            #expect(try await alice.request(.DELETE, "/chats/\(id)/favorite").status == 204)
            #expect(try await item()?["is_favorite"] as? Bool == false)

            let mutes: [(String?, String, Bool)] = [
                (nil, "", true),
                ("application/json", "{}", true),
                ("application/json", #"{"muted_until":null}"#, true),
                ("text/plain", "garbage", true),
                ("application/json", "[1]", true),
                ("application/json", #"{"muted_until":"2099-01-01T00:00:00Z"}"#, true),
                ("application/json", #"{"muted_until":"2099-01-01T00:00:00.123456+02:00"}"#, true),
                ("application/json", #"{"muted_until":"2020-01-01T00:00:00Z"}"#, false),
            ]
            for (contentType, body, muted) in mutes {
                let reply = try await Self.raw(gateway, alice, .POST, "/chats/\(id)/mute", contentType: contentType, body: body)
                #expect(reply.status == 204, "\(body)")
                #expect(try await item()?["is_muted"] as? Bool == muted, "\(body)")
            }
            #expect(try await Self.count(client, "SELECT count(*) FROM chat_mute_settings") == 1)
            for body in [#"{"muted_until":"tomorrow"}"#, #"{"muted_until":5}"#, #"{"muted_until":"2099-13-01T00:00:00Z"}"#, #"{"muted_until":true}"#] {
                let reply = try await Self.raw(gateway, alice, .POST, "/chats/\(id)/mute", contentType: "application/json", body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(try Self.error(reply) == "Invalid muted_until", "\(body)")
            }
            #expect(try await alice.request(.POST, "/chats/\(id)/mute").status == 204)
            #expect(try await item()?["is_muted"] as? Bool == true)
            #expect(try await alice.request(.DELETE, "/chats/\(id)/mute").status == 204)
            #expect(try await item()?["is_muted"] as? Bool == false)

            // DELETE has no membership check (Ref), so a stranger gets 204 and changes nothing.
            #expect(try await alice.request(.POST, "/chats/\(id)/favorite").status == 204)
            #expect(try await stranger.request(.DELETE, "/chats/\(id)/favorite").status == 204)
            #expect(try await stranger.request(.DELETE, "/chats/\(id)/mute").status == 204)
            #expect(try await item()?["is_favorite"] as? Bool == true)
        }
    }

    // MARK: Authorization and leaving

    @Test("authorization matrix: strangers, members who left and missing chats get each route's status and message")
    func authorizationMatrix() async throws {
        try await Self.withGateway { gateway, _ in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let stranger = try await APISession.register(on: gateway, username: "eve")
            let id = try await Self.createChat(alice, ["type": "group", "title": "g", "member_ids": [bob.userID]])
            #expect(try await bob.request(.DELETE, "/chats/\(id)/leave").status == 204)

            let routes: [(HTTPMethod, String, Int, String)] = [
                (.GET, "", 404, "Chat not found or access denied"),
                (.POST, "/favorite", 403, "Not a member"),
                (.POST, "/mute", 403, "Not a member"),
                (.DELETE, "/leave", 404, "Not a member of this chat"),
                (.POST, "/invites", 404, "Chat not found or access denied"),
                (.GET, "/invites", 404, "Chat not found or access denied"),
            ]
            for caller in [stranger, bob] {
                for chat in [id, 999_999] {
                    for (method, suffix, status, message) in routes {
                        let reply = try await caller.request(method, "/chats/\(chat)\(suffix)")
                        #expect(reply.status == status, "\(caller.username) \(method) /chats/\(chat)\(suffix)")
                        #expect(try Self.error(reply) == message, "\(caller.username) \(method) /chats/\(chat)\(suffix)")
                    }
                }
            }
            for (method, suffix, _, _) in routes {
                let reply = try await alice.request(method, "/chats/x\(suffix)")
                #expect(reply.status == 404)
                #expect(try Self.error(reply) == "Not found")
                let anonymous = try await HTTPTestClient.request(
                    gateway.baseURL + "/chats/\(id)\(suffix)", method: method)
                #expect(anonymous.status == 401)
            }
        }
    }

    @Test("leave: owner with members refused; a member leaves with favourite and mute dropped; the sole owner leaves and invites die")
    func leaveRules() async throws {
        try await Self.withGateway { gateway, client in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let id = try await Self.createChat(alice, ["type": "group", "title": "g", "member_ids": [bob.userID]])
            let token = try #require(try await alice.request(.POST, "/chats/\(id)/invites").object()["token"] as? String)

            let refused = try await alice.request(.DELETE, "/chats/\(id)/leave")
            #expect(refused.status == 400)
            #expect(try Self.error(refused) == "Transfer ownership before leaving, or delete the chat")

            #expect(try await bob.request(.POST, "/chats/\(id)/favorite").status == 204)
            #expect(try await bob.request(.POST, "/chats/\(id)/mute").status == 204)
            let left = try await bob.request(.DELETE, "/chats/\(id)/leave")
            #expect(left.status == 204)
            #expect(left.body.isEmpty)
            #expect(try await Self.count(client, "SELECT count(*) FROM chat_favorites WHERE user_id = \(bob.userID)") == 0)
            #expect(try await Self.count(client, "SELECT count(*) FROM chat_mute_settings WHERE user_id = \(bob.userID)") == 0)
            let bobsList = try #require(try await bob.request(.GET, "/chats").json() as? [Any])
            #expect(bobsList.isEmpty)
            #expect(try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token)/preview").status == 200)

            #expect(try await alice.request(.DELETE, "/chats/\(id)/leave").status == 204)
            let preview = try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token)/preview")
            #expect(preview.status == 410)
            #expect(try Self.error(preview) == "Invite has been revoked")
            #expect(try await bob.request(.POST, "/invites/\(token)/join").status == 410)
        }
    }

    @Test("direct chat: only the non-creator can leave, and creating it again brings them back")
    func directLeave() async throws {
        try await Self.withGateway { gateway, _ in
            let alice = try await APISession.register(on: gateway, username: "alice")
            let bob = try await APISession.register(on: gateway, username: "bob")
            let id = try await Self.createChat(alice, ["type": "direct", "member_ids": [bob.userID]])
            #expect(try await alice.request(.DELETE, "/chats/\(id)/leave").status == 400)
            #expect(try await bob.request(.DELETE, "/chats/\(id)/leave").status == 204)
            #expect(try await bob.request(.GET, "/chats/\(id)").status == 404)
            let again = try await bob.request(.POST, "/chats", json: ["type": "direct", "member_ids": [alice.userID]])
            #expect(again.status == 200)
            #expect(Self.int(try again.object()["id"]) == id)
            #expect(try await bob.request(.GET, "/chats/\(id)").object()["my_role"] as? String == "member")
        }
    }

    // MARK: Helpers

    static func withGateway(_ body: @Sendable (GatewayProcess, PostgresClient) async throws -> Void) async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                try await body(gateway, client)
            }
        }
    }

    static func createChat(_ session: APISession, _ body: [String: Any]) async throws -> Int64 {
        let reply = try await session.request(.POST, "/chats", json: body)
        guard reply.status == 201, let id = int(try reply.object()["id"]) else {
            throw APISession.SessionError.unexpected("create chat", reply.status, reply.text)
        }
        return id
    }

    /// A request with a body exactly as given (malformed JSON, other content types, no body).
    static func raw(
        _ gateway: GatewayProcess, _ session: APISession, _ method: HTTPMethod, _ path: String, contentType: String?, body: String
    ) async throws -> HTTPTestClient.Reply {
        var headers = [("Authorization", "Bearer \(session.accessToken)")]
        if let contentType { headers.append(("Content-Type", contentType)) }
        return try await HTTPTestClient.request(
            gateway.baseURL + path, method: method, headers: headers, body: body.isEmpty ? nil : Data(body.utf8))
    }

    static func error(_ reply: HTTPTestClient.Reply) throws -> String? {
        try reply.object()["error"] as? String
    }

    static func int(_ value: Any?) -> Int64? {
        (value as? NSNumber)?.int64Value
    }

    static func count(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int64 {
        let rows = try await client.query(query, logger: logger)
        for try await count in rows.decode(Int64.self) { return count }
        return -1
    }
}
