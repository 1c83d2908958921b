import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// The invite routes of jwt-api.md §3.6 against the real gateway binary (Appendix A item 13 and
/// every error string).
@Suite("JWT API: invites (real gateway binary)")
struct InviteAPITests {
    static let environment = ["RATE_LIMIT_ENABLED": "false"]
    static let logger = Logger(label: "invite-api-tests")

    @Test("lifecycle: create (201, link), list newest first, anonymous preview, join twice, revoke, then 410 everywhere")
    func lifecycle() async throws {
        try await Self.withGateway { gateway, _ in
            let owner = try await APISession.register(on: gateway, username: "owner")
            let joiner = try await APISession.register(on: gateway, username: "joiner")
            let chatID = try await Self.createChat(owner, ["type": "group", "title": "Team", "description": "about"])

            let empty = try await owner.request(.GET, "/chats/\(chatID)/invites")
            #expect(empty.status == 200)
            #expect((try empty.json() as? [Any])?.isEmpty == true)

            let created = try await owner.request(.POST, "/chats/\(chatID)/invites")
            #expect(created.status == 201)
            let invite = try created.object()
            #expect(Set(invite.keys) == ["token", "chat_id", "created_by", "created_at", "link"])
            let token = try #require(invite["token"] as? String)
            #expect(token.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil)
            #expect(invite["link"] as? String == "/join/\(token)")
            #expect(Self.int(invite["chat_id"]) == chatID)
            #expect(Self.int(invite["created_by"]) == owner.userID)
            #expect((invite["created_at"] as? String)?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"#, options: .regularExpression) != nil)

            let newer = try #require(try await owner.request(.POST, "/chats/\(chatID)/invites").object()["token"] as? String)
            #expect(newer != token)
            let listed = try #require(try await owner.request(.GET, "/chats/\(chatID)/invites").json() as? [[String: Any]])
            #expect(listed.map { $0["token"] as? String } == [newer, token])
            #expect(listed.allSatisfy { Set($0.keys) == ["token", "chat_id", "created_by", "created_at", "link"] })

            let preview = try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token)/preview")
            #expect(preview.status == 200)
            #expect(try preview.object().count == 5)
            #expect(Self.int(try preview.object()["chat_id"]) == chatID)
            #expect(try preview.object()["type"] as? String == "group")
            #expect(try preview.object()["title"] as? String == "Team")
            #expect(try preview.object()["description"] as? String == "about")
            #expect(Self.int(try preview.object()["member_count"]) == 1)

            let joined = try await joiner.request(.POST, "/invites/\(token)/join")
            #expect(joined.status == 200)
            #expect(try joined.object().count == 3)
            #expect(Self.int(try joined.object()["chat_id"]) == chatID)
            #expect(try joined.object()["role"] as? String == "member")
            #expect(try joined.object()["already_member"] as? Bool == false)
            let again = try await joiner.request(.POST, "/invites/\(token)/join")
            #expect(again.status == 200)
            #expect(try again.object()["already_member"] as? Bool == true)
            let ownerJoin = try await owner.request(.POST, "/invites/\(token)/join")
            #expect(try ownerJoin.object()["role"] as? String == "owner")
            #expect(try ownerJoin.object()["already_member"] as? Bool == true)
            #expect(Self.int(try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token)/preview").object()["member_count"]) == 2)
            #expect(try await joiner.request(.GET, "/chats/\(chatID)").status == 200)

            let revoked = try await owner.request(.DELETE, "/invites/\(token)")
            #expect(revoked.status == 200)
            #expect(try revoked.object().count == 1)
            #expect(try revoked.object()["revoked"] as? Bool == true)
            let remaining = try #require(try await owner.request(.GET, "/chats/\(chatID)/invites").json() as? [[String: Any]])
            #expect(remaining.map { $0["token"] as? String } == [newer])

            let gonePreview = try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token)/preview")
            #expect(gonePreview.status == 410)
            #expect(try Self.error(gonePreview) == "Invite has been revoked")
            let goneJoin = try await joiner.request(.POST, "/invites/\(token)/join")
            #expect(goneJoin.status == 410)
            #expect(try Self.error(goneJoin) == "Invite has been revoked")
            let revokeAgain = try await owner.request(.DELETE, "/invites/\(token)")
            #expect(revokeAgain.status == 404)
            #expect(try Self.error(revokeAgain) == "Invite not found or already revoked")
        }
    }

    @Test("refusals: direct chats, members, strangers, unknown tokens, missing tokens; each with its exact message")
    func refusals() async throws {
        try await Self.withGateway { gateway, client in
            let owner = try await APISession.register(on: gateway, username: "owner")
            let member = try await APISession.register(on: gateway, username: "member")
            let admin = try await APISession.register(on: gateway, username: "admin")
            let stranger = try await APISession.register(on: gateway, username: "eve")
            let chatID = try await Self.createChat(owner, ["type": "channel", "title": "C", "member_ids": [member.userID, admin.userID]])
            try await client.query(
                "UPDATE chat_members SET role = 'admin' WHERE chat_id = \(chatID) AND user_id = \(admin.userID)", logger: Self.logger)
            let directID = try await Self.createChat(owner, ["type": "direct", "member_ids": [member.userID]])
            let token = try #require(try await admin.request(.POST, "/chats/\(chatID)/invites").object()["token"] as? String)
            #expect(try await admin.request(.GET, "/chats/\(chatID)/invites").status == 200)

            let cases: [(APISession, HTTPMethod, String, Int, String)] = [
                (owner, .POST, "/chats/\(directID)/invites", 400, "Cannot create invites for direct chats"),
                (member, .POST, "/chats/\(directID)/invites", 400, "Cannot create invites for direct chats"),
                (stranger, .POST, "/chats/\(directID)/invites", 404, "Chat not found or access denied"),
                (member, .POST, "/chats/\(chatID)/invites", 403, "Only owner or admin can create invites"),
                (member, .GET, "/chats/\(chatID)/invites", 403, "Only owner or admin can list invites"),
                (stranger, .POST, "/chats/\(chatID)/invites", 404, "Chat not found or access denied"),
                (stranger, .GET, "/chats/\(chatID)/invites", 404, "Chat not found or access denied"),
                (owner, .POST, "/chats/999999/invites", 404, "Chat not found or access denied"),
                (owner, .GET, "/chats/abc/invites", 404, "Not found"),
                (member, .DELETE, "/invites/\(token)", 403, "Only owner or admin can revoke invites"),
                (stranger, .DELETE, "/invites/\(token)", 404, "Invite not found or already revoked"),
                (owner, .DELETE, "/invites/00000000-0000-4000-8000-000000000000", 404, "Invite not found or already revoked"),
                (stranger, .POST, "/invites/00000000-0000-4000-8000-000000000000/join", 404, "Invite not found"),
                (stranger, .POST, "/invites/not-a-uuid/join", 404, "Invite not found"),
            ]
            for (session, method, path, status, message) in cases {
                let reply = try await session.request(method, path)
                #expect(reply.status == status, "\(session.username) \(method) \(path)")
                #expect(try Self.error(reply) == message, "\(session.username) \(method) \(path)")
            }
            let unknownPreview = try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token.uppercased())/preview")
            #expect(unknownPreview.status == 404)
            #expect(try Self.error(unknownPreview) == "Invite not found")

            for (method, path) in [
                (HTTPMethod.POST, "/chats/\(chatID)/invites"), (.GET, "/chats/\(chatID)/invites"), (.DELETE, "/invites/\(token)"),
                (.POST, "/invites/\(token)/join"),
            ] {
                let anonymous = try await HTTPTestClient.request(gateway.baseURL + path, method: method)
                #expect(anonymous.status == 401, "\(method) \(path)")
                #expect(try Self.error(anonymous) == "Missing Authorization header")
            }
            // The revoke refused above changed nothing.
            #expect(try await HTTPTestClient.request(gateway.baseURL + "/invites/\(token)/preview").status == 200)
            #expect(try await admin.request(.DELETE, "/invites/\(token)").status == 200)
        }
    }

    @Test("10 concurrent joins by one user: all 200, exactly one already_member false, one membership row (D-29)")
    func concurrentJoins() async throws {
        try await Self.withGateway { gateway, client in
            let owner = try await APISession.register(on: gateway, username: "owner")
            let joiner = try await APISession.register(on: gateway, username: "joiner")
            let chatID = try await Self.createChat(owner, ["type": "group", "title": "g"])
            let token = try #require(try await owner.request(.POST, "/chats/\(chatID)/invites").object()["token"] as? String)
            let replies = try await withThrowingTaskGroup(of: (Int, Bool?).self) { group in
                for _ in 0..<10 {
                    group.addTask {
                        let reply = try await joiner.request(.POST, "/invites/\(token)/join")
                        return (reply.status, try reply.object()["already_member"] as? Bool)
                    }
                }
                return try await group.reduce(into: [(Int, Bool?)]()) { $0.append($1) }
            }
            #expect(replies.allSatisfy { $0.0 == 200 })
            #expect(replies.filter { $0.1 == false }.count == 1)
            #expect(replies.filter { $0.1 == true }.count == 9)
            let rows = try await client.query(
                "SELECT count(*) FROM chat_members WHERE chat_id = \(chatID) AND user_id = \(joiner.userID)", logger: Self.logger)
            #expect(try await rows.decode(Int64.self).first(where: { _ in true }) == 1)
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

    static func error(_ reply: HTTPTestClient.Reply) throws -> String? {
        try reply.object()["error"] as? String
    }

    static func int(_ value: Any?) -> Int64? {
        (value as? NSNumber)?.int64Value
    }
}
