import Foundation
import PostgresNIO
import Testing
import TestSupport

@Suite("JWT API: messages (real gateway binary)")
struct MessageAPITests {
    static let environment = ["RATE_LIMIT_ENABLED": "false"]

    /// Two users in a group chat created through SQL (chats have their own tests), plus an outsider.
    struct Fixture {
        let gateway: GatewayProcess
        let alice: APISession
        let bob: APISession
        let outsider: APISession
        let chatID: Int64
    }

    static func withFixture(_ body: @Sendable (Fixture, PostgresClient) async throws -> Void) async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                let alice = try await APISession.register(on: gateway, username: "alice")
                let bob = try await APISession.register(on: gateway, username: "bob")
                let outsider = try await APISession.register(on: gateway, username: "eve")
                let chatID = try await createGroup(client, owner: alice.userID, members: [bob.userID])
                try await body(Fixture(gateway: gateway, alice: alice, bob: bob, outsider: outsider, chatID: chatID), client)
            }
        }
    }

    static func createGroup(_ client: PostgresClient, owner: Int64, members: [Int64], type: String = "group") async throws -> Int64 {
        let rows = try await client.query(
            "INSERT INTO chats (type, title, owner_id) VALUES (\(type)::chat_type, 'Test', \(owner)) RETURNING id", logger: .init(label: "t"))
        var chatID: Int64 = 0
        for try await id in rows.decode(Int64.self) { chatID = id }
        try await client.query("INSERT INTO chat_members (chat_id, user_id, role) VALUES (\(chatID), \(owner), 'owner')", logger: .init(label: "t"))
        for member in members {
            try await client.query("INSERT INTO chat_members (chat_id, user_id, role) VALUES (\(chatID), \(member), 'member')", logger: .init(label: "t"))
        }
        return chatID
    }

    @Test("a text message is stored, returned 201 and listed with its sender")
    func sendAndList() async throws {
        try await Self.withFixture { f, _ in
            let sent = try await f.alice.request(.POST, "/chats/\(f.chatID)/messages", json: ["content": "hello 👋", "type": "text"])
            #expect(sent.status == 201)
            let body = try sent.object()
            #expect(body["content"] as? String == "hello 👋")
            #expect(body["message_type"] as? String == "text")
            #expect(body["type"] as? String == "text")
            #expect((body["chat_id"] as? NSNumber)?.int64Value == f.chatID)
            #expect((body["sender_id"] as? NSNumber)?.int64Value == f.alice.userID)
            let createdAt = try #require(body["created_at"] as? String)
            #expect(createdAt.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil)
            #expect(body["duration_seconds"] == nil)

            let listed = try await f.bob.request(.GET, "/chats/\(f.chatID)/messages")
            #expect(listed.status == 200)
            let messages = try #require(try listed.json() as? [[String: Any]])
            #expect(messages.count == 1)
            let message = messages[0]
            #expect(message["sender_username"] as? String == f.alice.username)
            #expect(message["sender_display_name"] as? String == f.alice.username)
            #expect(message["sender_is_admin"] as? Bool == false)
            #expect(message["sender_avatar_url"] is NSNull)
            #expect(message["sticker_url"] is NSNull)
            #expect(message["attachment_url"] is NSNull)
            #expect(message["duration_seconds"] is NSNull)
        }
    }

    @Test("validation errors in the contract's order and words")
    func validation() async throws {
        try await Self.withFixture { f, _ in
            let path = "/chats/\(f.chatID)/messages"
            let cases: [([String: Any], String)] = [
                ([:], "content, file_id or sticker_id required"),
                (["content": ""], "content, file_id or sticker_id required"),
                (["content": "x", "type": "poem"], "Invalid message type"),
                (["content": String(repeating: "a", count: 4097)], "Message too long (max 4096 characters)"),
                (["content": "x", "file_id": 3, "type": "text"], "text messages cannot carry file_id or sticker_id"),
                (["content": "x", "type": "sticker"], "sticker_id required for sticker messages"),
                (["content": "x", "type": "voice"], "file_id required for file and voice messages"),
                (["file_id": 5, "type": "voice", "duration_seconds": -1], "Invalid duration_seconds"),
                (["file_id": 5, "type": "voice", "duration_seconds": 86_401], "Invalid duration_seconds"),
                (["content": "x", "file_id": "5"], "Invalid JSON"),
                (["content": 5], "Invalid JSON"),
                (["content": "x", "client_msg_id": String(repeating: "k", count: 65)], "client_msg_id must be a string of 1 to 64 characters"),
            ]
            for (json, message) in cases {
                let reply = try await f.alice.request(.POST, path, json: json)
                #expect(reply.status == 400, "\(json)")
                #expect(try reply.object()["error"] as? String == message, "\(json)")
            }
            // 4000 astral characters are 4000 characters (Unicode scalars), not 8000 UTF-16 units.
            let emoji = try await f.alice.request(.POST, path, json: ["content": String(repeating: "😀", count: 4096)])
            #expect(emoji.status == 201)
            // A body that is not JSON, or JSON under another content type, is Invalid JSON.
            let raw = try await HTTPTestClient.request(
                f.gateway.baseURL + path, method: .POST,
                headers: [("Authorization", "Bearer \(f.alice.accessToken)"), ("Content-Type", "application/json")],
                body: Data("{not json".utf8))
            #expect(raw.status == 400)
            #expect(try raw.object()["error"] as? String == "Invalid JSON")
            let plain = try await HTTPTestClient.request(
                f.gateway.baseURL + path, method: .POST,
                headers: [("Authorization", "Bearer \(f.alice.accessToken)"), ("Content-Type", "text/plain")],
                body: Data(#"{"content":"x"}"#.utf8))
            #expect(try plain.object()["error"] as? String == "Invalid JSON")
        }
    }

    @Test("non-members, channels, unknown stickers and other people's files are refused")
    func authorization() async throws {
        try await Self.withFixture { f, client in
            let path = "/chats/\(f.chatID)/messages"
            let outsider = try await f.outsider.request(.POST, path, json: ["content": "let me in"])
            #expect(outsider.status == 403)
            #expect(try outsider.object()["error"] as? String == "Not a member of this chat")
            let read = try await f.outsider.request(.GET, path)
            #expect(read.status == 403)
            #expect(try read.object()["error"] as? String == "Not a member of this chat")
            let missingChat = try await f.alice.request(.GET, "/chats/999999/messages")
            #expect(missingChat.status == 403)
            #expect(try await f.alice.request(.GET, "/chats/abc/messages").status == 404)

            let channelID = try await Self.createGroup(client, owner: f.alice.userID, members: [f.bob.userID], type: "channel")
            let memberPost = try await f.bob.request(.POST, "/chats/\(channelID)/messages", json: ["content": "hi"])
            #expect(memberPost.status == 403)
            #expect(try memberPost.object()["error"] as? String == "Only admins can post in channels")
            #expect(try await f.alice.request(.POST, "/chats/\(channelID)/messages", json: ["content": "news"]).status == 201)

            let sticker = try await f.alice.request(.POST, path, json: ["type": "sticker", "sticker_id": 424242])
            #expect(sticker.status == 404)
            #expect(try sticker.object()["error"] as? String == "Sticker not found")

            // A file Bob uploaded cannot be attached by Alice (D-2).
            let fileRows = try await client.query(
                "INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes) VALUES (\(f.bob.userID), 'bh-uploads', 'uploads/x.ogg', 'x.ogg', 'audio/ogg', 3) RETURNING id",
                logger: .init(label: "t"))
            var fileID: Int64 = 0
            for try await id in fileRows.decode(Int64.self) { fileID = id }
            let foreign = try await f.alice.request(.POST, path, json: ["type": "voice", "file_id": fileID, "duration_seconds": 3])
            #expect(foreign.status == 404)
            #expect(try foreign.object()["error"] as? String == "File not found")
            let own = try await f.bob.request(.POST, path, json: ["type": "voice", "file_id": fileID, "duration_seconds": 3])
            #expect(own.status == 201)
            #expect((try own.object()["duration_seconds"] as? NSNumber)?.intValue == 3)
            let listed = try #require(try await f.alice.request(.GET, path).json() as? [[String: Any]])
            #expect(listed.last?["attachment_url"] is String)
            #expect(listed.last?["mime_type"] as? String == "audio/ogg")
        }
    }

    @Test("ten concurrent sends with one idempotency key create one message")
    func idempotentSends() async throws {
        try await Self.withFixture { f, client in
            let path = "/chats/\(f.chatID)/messages"
            let statuses = try await withThrowingTaskGroup(of: (Int, Int64).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let reply = try await f.alice.request(.POST, path, json: ["content": "once", "client_msg_id": "key-1"])
                        return (reply.status, (try reply.object()["id"] as? NSNumber)?.int64Value ?? 0)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0.0 == 201 }.count == 1)
            #expect(statuses.filter { $0.0 == 200 }.count == 9)
            #expect(Set(statuses.map(\.1)).count == 1)
            let rows = try await client.query("SELECT count(*) FROM messages WHERE chat_id = \(f.chatID)", logger: .init(label: "t"))
            for try await count in rows.decode(Int.self) { #expect(count == 1) }
            // The header form is equivalent.
            let header = try await f.alice.request(.POST, path, json: ["content": "twice"], headers: [("Idempotency-Key", "key-2")])
            let again = try await f.alice.request(.POST, path, json: ["content": "twice"], headers: [("Idempotency-Key", "key-2")])
            #expect(header.status == 201)
            #expect(again.status == 200)
            #expect(try again.object()["id"] as? NSNumber == (try header.object()["id"] as? NSNumber))
        }
    }

    @Test("paging: limit, before and after_id, always ascending by id")
    func paging() async throws {
        try await Self.withFixture { f, _ in
            let path = "/chats/\(f.chatID)/messages"
            var ids: [Int64] = []
            for index in 0..<7 {
                let reply = try await f.alice.request(.POST, path, json: ["content": "m\(index)"])
                ids.append(try #require((try reply.object()["id"] as? NSNumber)?.int64Value))
            }
            func idsOf(_ query: String) async throws -> [Int64] {
                let reply = try await f.bob.request(.GET, path + query)
                #expect(reply.status == 200, "\(query): \(reply.text)")
                return (try reply.json() as? [[String: Any]] ?? []).compactMap { ($0["id"] as? NSNumber)?.int64Value }
            }
            #expect(try await idsOf("") == ids)
            #expect(try await idsOf("?limit=3") == Array(ids.suffix(3)))
            #expect(try await idsOf("?limit=2&before=\(ids[4])") == [ids[2], ids[3]])
            #expect(try await idsOf("?limit=2&after_id=\(ids[1])") == [ids[2], ids[3]])
            #expect(try await idsOf("?after_id=\(ids[5])&before=\(ids[1])") == [ids[6]])
            #expect(try await idsOf("?limit=0") == Array(ids.suffix(1)))
            #expect(try await idsOf("?limit=1000") == ids)
            for (query, message) in [("?limit=x", "Invalid limit"), ("?before=1.5", "Invalid before"), ("?after_id=abc", "Invalid after_id")] {
                let reply = try await f.bob.request(.GET, path + query)
                #expect(reply.status == 400)
                #expect(try reply.object()["error"] as? String == message)
            }
        }
    }
}
