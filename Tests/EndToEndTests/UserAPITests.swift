import Foundation
import Logging
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

@Suite("JWT API: users (real gateway binary)")
struct UserAPITests {
    static let logger = Logger(label: "tests")

    /// A gateway signing for the real S3 server, and one registered caller.
    static func withCaller(
        username: String = "caller", _ body: @Sendable (GatewayProcess, APISession, PostgresClient) async throws -> Void
    ) async throws {
        let environment = try ObjectURLProbe.gatewayEnvironment()
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                let caller = try await APISession.register(on: gateway, username: username, exact: true)
                try await body(gateway, caller, client)
            }
        }
    }

    @discardableResult
    static func insertUser(
        _ client: PostgresClient, _ username: String, displayName: String? = nil, bio: String? = nil,
        isActive: Bool = true, isBlocked: Bool = false, isAdmin: Bool = false
    ) async throws -> Int64 {
        try await scalarID(client, """
            INSERT INTO users (username, email, password_hash, display_name, bio, is_active, is_blocked, is_admin)
            VALUES (\(username), \(username.lowercased() + "@example.test"), 'x', \(displayName), \(bio), \(isActive), \(isBlocked), \(isAdmin))
            RETURNING id
            """)
    }

    static func insertFile(_ client: PostgresClient, uploader: Int64, filename: String, mimeType: String?) async throws -> Int64 {
        try await scalarID(client, """
            INSERT INTO files (uploader_id, bucket, object_key, filename, mime_type, size_bytes)
            VALUES (\(uploader), 'bh-uploads', \("uploads/\(UUID().uuidString.lowercased())_\(filename)"), \(filename), \(mimeType), 0)
            RETURNING id
            """)
    }

    static func setAvatar(_ client: PostgresClient, user: Int64, file: Int64) async throws {
        try await client.query("UPDATE users SET avatar_file_id = \(file) WHERE id = \(user)", logger: logger)
    }

    static func scalarID(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int64 {
        let rows = try await client.query(query, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw NoRow()
    }

    struct NoRow: Error {}

    static func error(_ reply: HTTPTestClient.Reply) throws -> String? {
        try reply.object()["error"] as? String
    }

    static func isPresigned(_ url: String?, key: String? = nil) -> Bool {
        guard let url else { return false }
        let endpoint = ProcessInfo.processInfo.environment["S3_ENDPOINT"] ?? "-"
        let query = ObjectURLProbe.query(of: url)
        return url.hasPrefix(endpoint + "/") && url.contains("X-Amz-Credential=") && url.contains("%2F")
            && query["X-Amz-Signature"]?.count == 64 && (key.map { url.contains("/\($0)?") } ?? true)
    }

    // MARK: GET /users/{id}

    @Test("GET /users/{id}: UserPublic of an active user, blocked ones included; 404 otherwise")
    func profileByID() async throws {
        try await Self.withCaller { gateway, caller, client in
            let ann = try await Self.insertUser(client, "ann", displayName: "Ann", bio: "about ann", isAdmin: true)
            let annFile = try await Self.insertFile(client, uploader: ann, filename: "ann.png", mimeType: "image/png")
            try await Self.setAvatar(client, user: ann, file: annFile)
            let plain = try await Self.insertUser(client, "plain")
            let blank = try await Self.insertUser(client, "blank", displayName: "")
            let blocked = try await Self.insertUser(client, "blocked", isBlocked: true)
            let gone = try await Self.insertUser(client, "gone", isActive: false)

            let reply = try await caller.request(.GET, "/users/\(ann)")
            #expect(reply.status == 200)
            #expect(reply.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
            let body = try reply.object()
            // UserPublic plus the presence fields of docs/websocket.md §10.
            #expect(Set(body.keys) == ["id", "username", "display_name", "bio", "is_admin", "avatar_url", "online", "last_seen"])
            #expect(body["online"] as? Bool == false)
            #expect(body["last_seen"] is NSNull)
            #expect((body["id"] as? NSNumber)?.int64Value == ann)
            #expect(body["username"] as? String == "ann")
            #expect(body["display_name"] as? String == "Ann")
            #expect(body["bio"] as? String == "about ann")
            #expect(body["is_admin"] as? Bool == true)
            let avatarURL = body["avatar_url"] as? String
            #expect(Self.isPresigned(avatarURL))
            // A raster image stays inline: no download disposition.
            #expect(ObjectURLProbe.query(of: avatarURL ?? "")["response-content-disposition"] == nil)

            let plainBody = try await caller.request(.GET, "/users/\(plain)").object()
            #expect(plainBody["display_name"] as? String == "plain")
            #expect(plainBody["bio"] is NSNull)
            #expect(plainBody["avatar_url"] is NSNull)
            #expect(plainBody["is_admin"] as? Bool == false)
            #expect(try await caller.request(.GET, "/users/\(blank)").object()["display_name"] as? String == "")
            #expect(try await caller.request(.GET, "/users/\(blocked)").status == 200)

            for missing in [gone, gone + 1000] {
                let reply = try await caller.request(.GET, "/users/\(missing)")
                #expect(reply.status == 404)
                #expect(try Self.error(reply) == "User not found")
            }
            for badID in ["abc", "0", "-1", "1.5", "99999999999999999999"] {
                let reply = try await caller.request(.GET, "/users/\(badID)")
                #expect(reply.status == 404)
                #expect(try Self.error(reply) == "Not found")
            }
            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/users/\(ann)")
            #expect(anonymous.status == 401)
            #expect(try Self.error(anonymous) == "Missing Authorization header")
        }
    }

    // MARK: GET /users/search

    @Test("GET /users/search: username or display name, case-insensitive, sorted, active only")
    func search() async throws {
        try await Self.withCaller(username: "zz_caller") { gateway, caller, client in
            try await Self.insertUser(client, "carol", displayName: "Carol")
            try await Self.insertUser(client, "Bob", displayName: "Robert")
            try await Self.insertUser(client, "alice", displayName: "Alice Roberts")
            try await Self.insertUser(client, "robin_gone", isActive: false)
            try await Self.insertUser(client, "rob_blocked", isBlocked: true)

            func usernames(_ query: String?) async throws -> [String] {
                let path = query.map { "/users/search?q=\($0)" } ?? "/users/search"
                let reply = try await caller.request(.GET, path)
                #expect(reply.status == 200)
                let users = try #require(try reply.json() as? [[String: Any]])
                return users.compactMap { $0["username"] as? String }
            }
            #expect(try await usernames("ROB") == ["alice", "Bob", "rob_blocked"])
            #expect(try await usernames("robert") == ["alice", "Bob"])
            #expect(try await usernames("nobody") == [])
            #expect(try await usernames(nil) == ["alice", "Bob", "carol", "rob_blocked", "zz_caller"])
            #expect(try await usernames("") == ["alice", "Bob", "carol", "rob_blocked", "zz_caller"])

            let first = try #require(try await caller.request(.GET, "/users/search?q=carol").json() as? [[String: Any]]).first
            #expect(Set(first?.keys ?? [:].keys) == ["id", "username", "display_name", "bio", "is_admin", "avatar_url"])

            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/users/search?q=a")
            #expect(anonymous.status == 401)
        }
    }

    @Test("GET /users/search: % and _ are literal, and at most 50 users come back")
    func searchWildcardsAndCap() async throws {
        try await Self.withCaller(username: "caller") { _, caller, client in
            try await Self.insertUser(client, "a_b")
            try await Self.insertUser(client, "axb")
            try await Self.insertUser(client, "pct", displayName: "100% sure")
            try await Self.insertUser(client, "nopct", displayName: "1000 sure")
            for index in 1...60 { try await Self.insertUser(client, String(format: "member%02d", index)) }

            func usernames(_ query: String) async throws -> [String] {
                let users = try #require(try await caller.request(.GET, "/users/search?q=\(query)").json() as? [[String: Any]])
                return users.compactMap { $0["username"] as? String }
            }
            #expect(try await usernames("a_b") == ["a_b"])
            #expect(try await usernames("_") == ["a_b"])
            #expect(try await usernames("%25") == ["pct"])
            #expect(try await usernames("0%25%20s") == ["pct"])
            #expect(try await usernames("a%5Fb") == ["a_b"])

            let all = try await usernames("")
            #expect(all.count == 50)
            #expect(Array(all.prefix(4)) == ["a_b", "axb", "caller", "member01"])
            #expect(try await usernames("member").count == 50)
            #expect(try await usernames("member5") == (50...59).map { "member\($0)" })
        }
    }

    // MARK: GET /users/by-username/{username}

    @Test("GET /users/by-username/{username}: bearer required, URL-decoded, case-insensitive, active only")
    func byUsername() async throws {
        try await Self.withCaller { gateway, caller, client in
            let ann = try await Self.insertUser(client, "Ann_B", displayName: "Ann")
            let jurgen = try await Self.insertUser(client, "Jürgen")
            try await Self.insertUser(client, "gone", isActive: false)

            let reply = try await caller.request(.GET, "/users/by-username/ann_b")
            #expect(reply.status == 200)
            let body = try reply.object()
            #expect((body["id"] as? NSNumber)?.int64Value == ann)
            #expect(body["username"] as? String == "Ann_B")
            #expect(body["display_name"] as? String == "Ann")
            #expect(body.keys.contains("avatar_url"))
            let decoded = try await caller.request(.GET, "/users/by-username/J%C3%BCrgen").object()
            #expect((decoded["id"] as? NSNumber)?.int64Value == jurgen)

            for missing in ["gone", "nobody", "Ann", "Ann_B%20"] {
                let reply = try await caller.request(.GET, "/users/by-username/\(missing)")
                #expect(reply.status == 404)
                #expect(try Self.error(reply) == "User not found")
            }
            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/users/by-username/ann_b")
            #expect(anonymous.status == 401)
            #expect(try Self.error(anonymous) == "Missing Authorization header")
        }
    }

    // MARK: route precedence (§1.10)

    @Test("literal segments win: search, by-username and me/avatar are never taken for an id")
    func routePrecedence() async throws {
        try await Self.withCaller { _, caller, client in
            let avatarUser = try await Self.insertUser(client, "avatar")
            try await Self.insertUser(client, "search")

            let search = try await caller.request(.GET, "/users/search")
            #expect(search.status == 200)
            #expect(try search.json() is [Any])
            // A user called "avatar" or "search" is found by name, not read as /users/{id}/avatar.
            let byAvatar = try await caller.request(.GET, "/users/by-username/avatar")
            #expect(byAvatar.status == 200)
            #expect((try byAvatar.object()["id"] as? NSNumber)?.int64Value == avatarUser)
            #expect(try await caller.request(.GET, "/users/by-username/search").object()["username"] as? String == "search")

            // PUT /users/me/avatar is the avatar endpoint, not PUT /users/{id} (which would be 403).
            let setAvatar = try await caller.request(.PUT, "/users/me/avatar", json: [:])
            #expect(setAvatar.status == 400)
            #expect(try Self.error(setAvatar) == "file_id required")
            // The literal paths keep their own methods instead of falling through to /users/{id}.
            for (method, path) in [(HTTPMethod.PUT, "/users/search"), (.GET, "/users/me/avatar"), (.PUT, "/users/by-username/avatar")] {
                let reply = try await caller.request(method, path, json: ["bio": "x"])
                #expect(reply.status == 405, "\(method) \(path)")
                #expect(try Self.error(reply) == "Method not allowed")
            }
        }
    }

    // MARK: GET /users/{id}/avatar

    @Test("GET /users/{id}/avatar: 302 to the presigned URL with the upload disposition; 404 No avatar otherwise")
    func avatarRedirect() async throws {
        try await Self.withCaller { gateway, caller, client in
            let ann = try await Self.insertUser(client, "ann")
            let annFile = try await Self.insertFile(client, uploader: ann, filename: "ann.png", mimeType: "image/png")
            try await Self.setAvatar(client, user: ann, file: annFile)
            // A legacy avatar stored with an active type must still download, never render.
            let legacy = try await Self.insertUser(client, "legacy")
            let page = try await Self.insertFile(client, uploader: legacy, filename: "page.html", mimeType: "text/html")
            try await Self.setAvatar(client, user: legacy, file: page)
            let gone = try await Self.insertUser(client, "gone", isActive: false)
            let goneFile = try await Self.insertFile(client, uploader: gone, filename: "g.png", mimeType: "image/png")
            try await Self.setAvatar(client, user: gone, file: goneFile)
            let plain = try await Self.insertUser(client, "plain")

            let redirect = try await ObjectURLProbe.get(gateway.baseURL + "/users/\(ann)/avatar", accessToken: caller.accessToken)
            #expect(redirect.status == 302)
            #expect(Self.isPresigned(redirect.location))
            #expect(redirect.headers.first(name: "Cache-Control") == "no-store")
            #expect(redirect.body.isEmpty)
            #expect(ObjectURLProbe.query(of: redirect.location ?? "")["response-content-disposition"] == nil)

            let download = try await ObjectURLProbe.get(gateway.baseURL + "/users/\(legacy)/avatar", accessToken: caller.accessToken)
            #expect(download.status == 302)
            let disposition = ObjectURLProbe.query(of: download.location ?? "")["response-content-disposition"]
            #expect(disposition?.hasPrefix("attachment; filename=\"page.html\"") == true)

            for missing in [plain, gone, gone + 1000] {
                let reply = try await caller.request(.GET, "/users/\(missing)/avatar")
                #expect(reply.status == 404)
                #expect(try Self.error(reply) == "No avatar")
            }
            #expect(try Self.error(try await caller.request(.GET, "/users/x/avatar")) == "Not found")
            let anonymous = try await ObjectURLProbe.get(gateway.baseURL + "/users/\(ann)/avatar", accessToken: nil)
            #expect(anonymous.status == 401)
        }
    }

    // MARK: PUT /users/{id}

    @Test("PUT /users/{id}: partial update of one's own profile, answered with the raw stored values")
    func updateProfile() async throws {
        try await Self.withCaller { _, caller, client in
            let me = caller.userID
            try await client.query("UPDATE users SET display_name = NULL, bio = NULL, updated_at = now() - interval '1 day' WHERE id = \(me)", logger: Self.logger)

            let bioOnly = try await caller.request(.PUT, "/users/\(me)", json: ["bio": "hello"])
            #expect(bioOnly.status == 200)
            let body = try bioOnly.object()
            #expect(Set(body.keys) == ["id", "username", "display_name", "bio"])
            #expect((body["id"] as? NSNumber)?.int64Value == me)
            #expect(body["username"] as? String == "caller")
            // Raw value: NULL stays null here, with no username fallback.
            #expect(body["display_name"] is NSNull)
            #expect(body["bio"] as? String == "hello")
            let moved = try await Self.scalarBool(client, "SELECT updated_at > now() - interval '1 hour' FROM users WHERE id = \(me)")
            #expect(moved)

            let renamed = try await caller.request(.PUT, "/users/\(me)", json: ["username": "Caller_2", "display_name": "Me", "ignored": 1]).object()
            #expect(renamed["username"] as? String == "Caller_2")
            #expect(renamed["display_name"] as? String == "Me")
            #expect(renamed["bio"] as? String == "hello")

            let nulls = try await caller.request(.PUT, "/users/\(me)", json: ["username": NSNull(), "display_name": NSNull(), "bio": NSNull()]).object()
            #expect(nulls["username"] as? String == "Caller_2")
            #expect(nulls["display_name"] as? String == "")
            #expect(nulls["bio"] as? String == "")
            #expect(try await caller.request(.GET, "/users/\(me)").object()["display_name"] as? String == "")
        }
    }

    @Test("PUT /users/{id}: 403 for another id before the body is read, then 400, 400 and 409")
    func updateProfileErrors() async throws {
        try await Self.withCaller { gateway, caller, client in
            let me = caller.userID
            let other = try await Self.insertUser(client, "Taken_Name")

            let forbidden = try await HTTPTestClient.request(
                gateway.baseURL + "/users/\(other)", method: .PUT,
                headers: [("Authorization", "Bearer \(caller.accessToken)"), ("Content-Type", "application/json")],
                body: Data("not json".utf8))
            #expect(forbidden.status == 403)
            #expect(try Self.error(forbidden) == "Forbidden")
            #expect(try Self.error(try await caller.request(.PUT, "/users/\(other)", json: ["bio": "x"])) == "Forbidden")

            for body in ["not json", "[1,2]", "\"text\"", ""] {
                let reply = try await HTTPTestClient.request(
                    gateway.baseURL + "/users/\(me)", method: .PUT,
                    headers: [("Authorization", "Bearer \(caller.accessToken)"), ("Content-Type", "application/json")],
                    body: Data(body.utf8))
                #expect(reply.status == 400, "body \(body)")
                #expect(try Self.error(reply) == "Invalid JSON")
            }
            let textPlain = try await HTTPTestClient.request(
                gateway.baseURL + "/users/\(me)", method: .PUT,
                headers: [("Authorization", "Bearer \(caller.accessToken)"), ("Content-Type", "text/plain")],
                body: Data(#"{"bio":"x"}"#.utf8))
            #expect(try Self.error(textPlain) == "Invalid JSON")
            for wrongType: Any in [5, ["a"], ["k": "v"], true] {
                let reply = try await caller.request(.PUT, "/users/\(me)", json: ["display_name": wrongType])
                #expect(reply.status == 400)
                #expect(try Self.error(reply) == "Invalid JSON")
            }
            let nul = try await caller.request(.PUT, "/users/\(me)", json: ["bio": "a\u{0}b"])
            #expect(nul.status == 400)
            #expect(try Self.error(nul) == "Invalid JSON")

            for badName: Any in ["ab", "has-hyphen", "with space", String(repeating: "x", count: 21), "", "ünï", 42] {
                let reply = try await caller.request(.PUT, "/users/\(me)", json: ["username": badName])
                #expect(reply.status == 400)
                #expect(try Self.error(reply) == "Username must be 3-20 characters: letters, digits, underscores only")
            }
            let taken = try await caller.request(.PUT, "/users/\(me)", json: ["username": "taken_NAME", "bio": "not written"])
            #expect(taken.status == 409)
            #expect(try Self.error(taken) == "Username already taken")
            #expect(try await caller.request(.GET, "/users/\(me)").object()["bio"] is NSNull)

            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/users/\(me)", method: .PUT)
            #expect(anonymous.status == 401)
        }
    }

    // MARK: PUT /users/me/avatar

    @Test("PUT /users/me/avatar: one's own raster upload becomes the avatar")
    func setAvatar() async throws {
        try await Self.withCaller { gateway, caller, client in
            let image = try await Self.insertFile(client, uploader: caller.userID, filename: "me.webp", mimeType: "image/webp")
            let reply = try await caller.request(.PUT, "/users/me/avatar", json: ["file_id": image])
            #expect(reply.status == 200)
            let body = try reply.object()
            #expect(Set(body.keys) == ["avatar_url"])
            #expect(Self.isPresigned(body["avatar_url"] as? String))
            let stored = try await Self.scalarID(client, "SELECT avatar_file_id FROM users WHERE id = \(caller.userID)")
            #expect(stored == image)

            #expect(Self.isPresigned(try await caller.request(.GET, "/users/\(caller.userID)").object()["avatar_url"] as? String))
            let redirect = try await ObjectURLProbe.get(gateway.baseURL + "/users/\(caller.userID)/avatar", accessToken: caller.accessToken)
            #expect(redirect.status == 302)
            // A float with no fraction is an integer to JavaScript clients.
            #expect(try await caller.request(.PUT, "/users/me/avatar", json: ["file_id": Double(image)]).status == 200)
        }
    }

    @Test("PUT /users/me/avatar: file_id required, someone else's or a missing file not found, non-images refused")
    func setAvatarErrors() async throws {
        try await Self.withCaller { gateway, caller, client in
            let other = try await Self.insertUser(client, "other")
            let othersImage = try await Self.insertFile(client, uploader: other, filename: "private.png", mimeType: "image/png")
            let text = try await Self.insertFile(client, uploader: caller.userID, filename: "notes.txt", mimeType: "text/plain")
            let svg = try await Self.insertFile(client, uploader: caller.userID, filename: "x.svg", mimeType: "image/svg+xml")

            for body: [String: Any] in [[:], ["file_id": "\(text)"], ["file_id": NSNull()], ["file_id": 1.5], ["fileId": text]] {
                let reply = try await caller.request(.PUT, "/users/me/avatar", json: body)
                #expect(reply.status == 400)
                #expect(try Self.error(reply) == "file_id required")
            }
            let noBody = try await HTTPTestClient.request(
                gateway.baseURL + "/users/me/avatar", method: .PUT, headers: [("Authorization", "Bearer \(caller.accessToken)")])
            #expect(try Self.error(noBody) == "file_id required")

            for fileID in [othersImage, othersImage + 1000, 0] {
                let reply = try await caller.request(.PUT, "/users/me/avatar", json: ["file_id": fileID])
                #expect(reply.status == 404)
                #expect(try Self.error(reply) == "File not found")
            }
            for fileID in [text, svg] {
                let reply = try await caller.request(.PUT, "/users/me/avatar", json: ["file_id": fileID])
                #expect(reply.status == 400)
                #expect(try Self.error(reply) == "Avatar must be an image")
            }
            let avatar = try await Self.scalarOptionalID(client, "SELECT avatar_file_id FROM users WHERE id = \(caller.userID)")
            #expect(avatar == nil)
            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/users/me/avatar", method: .PUT)
            #expect(anonymous.status == 401)
        }
    }

    static func scalarBool(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Bool {
        let rows = try await client.query(query, logger: logger)
        for try await value in rows.decode(Bool.self) { return value }
        throw NoRow()
    }

    static func scalarOptionalID(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int64? {
        let rows = try await client.query(query, logger: logger)
        for try await value in rows.decode(Int64?.self) { return value }
        throw NoRow()
    }
}
