import Foundation
import Testing
import TestSupport

@Suite("Legacy API: users, chats, messages, stickers (real gateway binary)")
struct LegacyMessagingTests {
    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test("users: everyone but the caller, ASCII case-insensitive order, non-ASCII by code point")
    func users() async throws {
        try await LegacyFixture.with { f in
            let (browser, _, _) = try await LegacyBrowser.register(on: f.gateway, username: "m", exact: false)
            for name in ["bob", "Alice", "_under", "Émile", "carol"] {
                _ = try await LegacyBrowser.register(on: f.gateway, username: name, exact: true)
            }
            let reply = try await browser.request(.GET, "/web-api/users")
            #expect(reply.status == 200)
            // NOCASE folds to lower case, so `_` (0x5F) sorts before every letter.
            #expect(reply.array.compactMap { $0["username"] as? String } == ["_under", "Alice", "bob", "carol", "Émile"])
            #expect(Set(reply.array[0].keys) == ["avatar_url", "display_name", "id", "username"])
            #expect(reply.array[0]["avatar_url"] is NSNull)
        }
    }

    @Test("chats: get-or-create (200 both times), errors, list shape and previews; JWT direct chats appear too")
    func chats() async throws {
        try await LegacyFixture.with { f in
            let (alice, aliceID, _) = try await LegacyBrowser.register(on: f.gateway, username: "alice")
            let (_, bobID, bobName) = try await LegacyBrowser.register(on: f.gateway, username: "bob")
            let created = try await alice.request(.POST, "/web-api/chats", json: ["with_user_id": bobID])
            #expect(created.status == 200)
            let chatID = try #require(Self.int(created.object["id"]))
            #expect(created.text == "{\"id\":\(chatID)}\n")
            let again = try await alice.request(.POST, "/web-api/chats", json: ["with_user_id": String(bobID)])
            #expect(again.status == 200)
            #expect(Self.int(again.object["id"]) == chatID)
            for (value, status, message) in [
                (NSNull(), 400, "with_user_id required"), ("-2", 400, "with_user_id required"), (1.5, 400, "with_user_id required"),
                (true, 400, "with_user_id required"), (" 1", 400, "with_user_id required"),
                (aliceID, 400, "Cannot chat with yourself"), ("0", 404, "User not found"), (999_999_999, 404, "User not found"),
            ] as [(Any, Int, String)] {
                let refused = try await alice.request(.POST, "/api/chats", json: ["with_user_id": value])
                #expect(refused.status == status, "\(value)")
                #expect(refused.error == message, "\(value)")
            }
            let list = try await alice.request(.GET, "/web-api/chats")
            let entry = try #require(list.array.first)
            #expect(Set(entry.keys) == ["id", "other_id", "other_username", "other_display_name", "other_avatar_url", "last_preview", "last_at"])
            #expect(Self.int(entry["other_id"]) == bobID)
            #expect(entry["other_username"] as? String == bobName)
            #expect(entry["last_preview"] as? String == "")
            let lastAt = try #require(entry["last_at"] as? String)
            #expect(lastAt.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"#, options: .regularExpression) != nil)

            // A direct chat opened through the JWT API shows up in the legacy list.
            let carol = try await APISession.register(on: f.gateway, username: "carol")
            let jwtChat = try await carol.request(.POST, "/chats", json: ["type": "direct", "member_ids": [aliceID]])
            #expect(jwtChat.status == 201)
            let jwtChatID = try #require(Self.int(try jwtChat.object()["id"]))
            let merged = try await alice.request(.GET, "/web-api/chats")
            #expect(Set(merged.array.compactMap { Self.int($0["id"]) }) == [chatID, jwtChatID])
        }
    }

    @Test("messages: text and sticker sends, golden Message shape, errors in order, after_id paging, previews")
    func messages() async throws {
        try await LegacyFixture.with { f in
            let (alice, aliceID, aliceName) = try await LegacyBrowser.register(on: f.gateway, username: "alice")
            let (bob, bobID, _) = try await LegacyBrowser.register(on: f.gateway, username: "bob")
            let (eve, _, _) = try await LegacyBrowser.register(on: f.gateway, username: "eve")
            let chatID = try #require(Self.int(try await alice.request(.POST, "/api/chats", json: ["with_user_id": bobID]).object["id"]))
            let heart = try await f.addSticker(label: "Heart", uploader: aliceID)

            let text = try await alice.request(.POST, "/web-api/messages", json: ["chat_id": chatID, "type": "text", "content": "  hi \u{1F600}  "])
            #expect(text.status == 201)
            let message = text.object
            #expect(Set(message.keys) == [
                "id", "conversation_id", "from_user_id", "from_username", "from_display_name", "from_avatar_url", "content",
                "message_type", "attachment_path", "duration_seconds", "sticker_url", "sticker_label", "created_at",
            ])
            #expect(message["content"] as? String == "hi \u{1F600}")
            #expect(Self.int(message["conversation_id"]) == chatID)
            #expect(Self.int(message["from_user_id"]) == aliceID)
            #expect(message["from_username"] as? String == aliceName)
            #expect(message["message_type"] as? String == "text")
            for key in ["attachment_path", "duration_seconds", "sticker_url", "sticker_label", "from_avatar_url"] {
                #expect(message[key] is NSNull, "\(key)")
            }
            #expect((message["created_at"] as? String)?.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"#, options: .regularExpression) != nil)

            let sticker = try await bob.request(.POST, "/web-api/messages", json: ["chat_id": String(chatID), "type": "sticker", "sticker_id": heart])
            #expect(sticker.status == 201)
            #expect(sticker.object["content"] as? String == String(heart))
            #expect(sticker.object["sticker_url"] as? String == "/web-api/stickers/\(heart)/image")
            #expect(sticker.object["sticker_label"] as? String == "Heart")

            let long = String(repeating: "\u{1F600}", count: 4000)
            #expect(try await alice.request(.POST, "/api/messages", json: ["chat_id": chatID, "content": long]).status == 201)

            for (body, status, error) in [
                (["content": "x"], 400, "chat_id required"),
                (["chat_id": 0, "content": "x"], 400, "chat_id required"),
                (["chat_id": chatID, "type": "voice"], 400, "Invalid message type"),
                (["chat_id": chatID, "type": NSNull(), "content": "x"], 400, "Invalid message type"),
                (["chat_id": chatID, "content": "   "], 400, "Content cannot be empty"),
                (["chat_id": chatID, "content": 5], 400, "Content cannot be empty"),
                (["chat_id": chatID, "content": long + "x"], 400, "Message too long (max 4000 chars)"),
                (["chat_id": chatID, "type": "sticker", "sticker_id": 0], 400, "sticker_id required"),
                (["chat_id": chatID, "type": "sticker", "sticker_id": "abc"], 400, "Invalid sticker_id"),
                (["chat_id": chatID, "type": "sticker", "sticker_id": 999_999], 400, "Invalid sticker_id"),
                (["chat_id": "0", "content": "x"], 404, "Conversation not found"),
            ] as [([String: Any], Int, String)] {
                let refused = try await alice.request(.POST, "/api/messages", json: body)
                #expect(refused.status == status, "\(body)")
                #expect(refused.error == error, "\(body)")
            }
            let outsider = try await eve.request(.POST, "/api/messages", json: ["chat_id": chatID, "content": "x"])
            #expect(outsider.status == 404)
            #expect(outsider.error == "Conversation not found")
            // A JSON body sent as text/plain is no JSON (api_legacy: empty object).
            let plain = try await alice.request(.POST, "/api/messages", body: Data(#"{"chat_id":1,"content":"x"}"#.utf8), contentType: "text/plain")
            #expect(plain.error == "chat_id required")

            let all = try await bob.request(.GET, "/web-api/messages?chat_id=\(chatID)&after_id=0")
            #expect(all.status == 200)
            #expect(all.array.count == 3)
            let firstID = try #require(Self.int(all.array.first?["id"]))
            let after = try await bob.request(.GET, "/web-api/messages?chat_id=\(chatID)&after_id=\(firstID)")
            #expect(after.array.compactMap { Self.int($0["id"]) } == all.array.dropFirst().compactMap { Self.int($0["id"]) })
            #expect(try await bob.request(.GET, "/api/messages?chat_id=\(chatID)&after_id=-5").array.count == 3)
            for query in ["", "?chat_id=", "?chat_id=-1", "?chat_id=%201", "?chat_id=abc"] {
                let refused = try await bob.request(.GET, "/api/messages\(query)")
                #expect(refused.status == 400, "\(query)")
                #expect(refused.error == "?chat_id=<id> required")
            }
            let hidden = try await eve.request(.GET, "/api/messages?chat_id=\(chatID)")
            #expect(hidden.status == 404)
            #expect(hidden.error == "Conversation not found")

            let preview = try await bob.request(.GET, "/api/chats").array.first?["last_preview"] as? String
            #expect(preview == String(repeating: "\u{1F600}", count: 80))

            // §5.19: the stable image URL redirects to a freshly signed one; unknown stickers are 404.
            let image = try await alice.request(.GET, "/web-api/stickers/\(heart)/image")
            #expect(image.status == 302)
            #expect(image.headers["Location"].first?.contains("stickers/heart.svg") == true)
            #expect(try await alice.request(.GET, "/api/stickers/999999/image").status == 404)
            #expect(try await LegacyBrowser(gateway: f.gateway).request(.GET, "/api/stickers/\(heart)/image").status == 401)

            let stickers = try await alice.request(.GET, "/web-api/stickers")
            #expect(stickers.text == "[{\"id\":\(heart),\"label\":\"Heart\",\"pack_name\":\"Basic\",\"url\":\"/web-api/stickers/\(heart)/image\"}]\n")
        }
    }

    @Test("one source of truth: legacy sends reach the JWT history and a WebSocket; JWT sends reach the legacy history")
    func bothGenerationsSeeOneHistory() async throws {
        try await LegacyFixture.with { f in
            let (alice, _, aliceName) = try await LegacyBrowser.register(on: f.gateway, username: "alice")
            let (_, bobID, _) = try await LegacyBrowser.register(on: f.gateway, username: "bob")
            let bobToken = try #require(
                try await LegacyBrowser(gateway: f.gateway).request(
                    .POST, "/web-api/login", json: ["username": try await Self.username(f, bobID), "password": "secret-pass"]
                ).object["cpp_token"] as? String)
            let chatID = try #require(Self.int(try await alice.request(.POST, "/api/chats", json: ["with_user_id": bobID]).object["id"]))

            let socket = try await TestSocket.connect(to: f.gateway, token: bobToken)
            #expect(try await socket.receiveObject()?["type"] as? String == "auth_ok")
            try socket.send(["type": "subscribe", "chat_id": chatID])
            #expect(try await socket.receiveObject()?["type"] as? String == "subscribed")

            let sent = try await alice.request(.POST, "/web-api/messages", json: ["chat_id": chatID, "content": "from the old SPA"])
            #expect(sent.status == 201)
            let event = try #require(try await socket.receiveObject(ofType: "message"))
            #expect(event["content"] as? String == "from the old SPA")
            #expect(Self.int(event["id"]) == Self.int(sent.object["id"]))
            socket.close()

            let jwtHistory = try await HTTPTestClient.request(
                f.gateway.baseURL + "/chats/\(chatID)/messages", headers: [("Authorization", "Bearer \(bobToken)")])
            let jwtMessages = try #require(try jwtHistory.json() as? [[String: Any]])
            #expect(jwtMessages.map { $0["content"] as? String } == ["from the old SPA"])
            #expect(jwtMessages.first?["sender_username"] as? String == aliceName)

            let reply = try await HTTPTestClient.request(
                f.gateway.baseURL + "/chats/\(chatID)/messages", method: .POST,
                headers: [("Authorization", "Bearer \(bobToken)"), ("Content-Type", "application/json")],
                body: try HTTPTestClient.json(["content": "from a new client"]))
            #expect(reply.status == 201)
            let legacyHistory = try await alice.request(.GET, "/web-api/messages?chat_id=\(chatID)&after_id=\(Self.int(sent.object["id"]) ?? 0)")
            #expect(legacyHistory.array.map { $0["content"] as? String } == ["from a new client"])
            #expect(Self.int(legacyHistory.array.first?["from_user_id"]) == bobID)
        }
    }

    static func username(_ f: LegacyFixture, _ id: Int64) async throws -> String {
        let rows = try await f.database.query("SELECT username FROM users WHERE id = \(id)", logger: LegacyFixture.logger)
        for try await name in rows.decode(String.self) { return name }
        return ""
    }
}
