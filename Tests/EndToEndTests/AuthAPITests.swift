import Foundation
import Logging
import MessengerCore
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// jwt-api.md §3.1 (register, login, refresh, logout), §3.2.1 (GET /me), §4 (tokens, rotation,
/// account status) and §10.2 (rate limits) against the real gateway binary; Appendix A items 1–4.
@Suite("Auth API (end to end)")
struct AuthAPITests {
    static let aliceHash =
        "pbkdf2$d821554c1d77279aeac4a440e55c0c3f$e22e8b99ddc772ddbdc483698928859240389f5f8ff1d1aea9ab9c023375537f"
    static let noLimits = ["RATE_LIMIT_ENABLED": "false"]
    static let usernameLength = "Username must be 3\u{2013}32 characters"

    // MARK: Registration

    @Test("register: every §3.1.1 error, in the contract's order")
    func registerErrors() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let long = String(repeating: "p", count: 1025)
                let cases: [(body: Data?, contentType: String?, error: String)] = [
                    (Data("not json".utf8), "application/json", "Invalid JSON"),
                    (Data("[1,2]".utf8), "application/json", "Invalid JSON"),
                    (Data(#"{"username":"abcdef","email":"a@b.c","password":"secret"}"#.utf8), "text/plain", "Invalid JSON"),
                    (nil, "application/json", "Invalid JSON"),
                    (try Self.json([:]), "application/json", Self.usernameLength),
                    (try Self.json(["username": "ab", "email": "nope", "password": "1"]), "application/json", Self.usernameLength),
                    (try Self.json(["username": String(repeating: "a", count: 33), "email": "a@b.c", "password": "secret"]), "application/json", Self.usernameLength),
                    (try Self.json(["username": String(repeating: "é", count: 17), "email": "a@b.c", "password": "secret"]), "application/json", Self.usernameLength),
                    (try Self.json(["username": 12345, "email": "a@b.c", "password": "secret"]), "application/json", Self.usernameLength),
                    (try Self.json(["username": "has space", "email": "a@b.c", "password": "secret"]), "application/json", "Username contains invalid characters"),
                    (try Self.json(["username": "a/b/c", "email": "a@b.c", "password": "secret"]), "application/json", "Username contains invalid characters"),
                    (try Self.json(["username": "me@home", "email": "a@b.c", "password": "secret"]), "application/json", "Username contains invalid characters"),
                    (try Self.json(["username": "valid_name", "password": "1"]), "application/json", "Invalid email"),
                    (try Self.json(["username": "valid_name", "email": "", "password": "secret"]), "application/json", "Invalid email"),
                    (try Self.json(["username": "valid_name", "email": "no-at-sign", "password": "secret"]), "application/json", "Invalid email"),
                    (try Self.json(["username": "valid_name", "email": ["a@b.c"], "password": "secret"]), "application/json", "Invalid email"),
                    (try Self.json(["username": "valid_name", "email": "a@b.c"]), "application/json", "Password must be at least 6 characters"),
                    (try Self.json(["username": "valid_name", "email": "a@b.c", "password": "12345"]), "application/json", "Password must be at least 6 characters"),
                    (try Self.json(["username": "valid_name", "email": "a@b.c", "password": 1234567]), "application/json", "Password must be at least 6 characters"),
                    (try Self.json(["username": "valid_name", "email": "a@b.c", "password": long]), "application/json", "Password must be at most 1024 characters"),
                ]
                for (index, testCase) in cases.enumerated() {
                    var headers: [(String, String)] = []
                    if let contentType = testCase.contentType { headers.append(("Content-Type", contentType)) }
                    let reply = try await HTTPTestClient.request(
                        gateway.baseURL + "/auth/register", method: .POST, headers: headers, body: testCase.body)
                    #expect(reply.status == 400, "case \(index)")
                    #expect(try reply.object() as? [String: String] == ["error": testCase.error], "case \(index)")
                }
                #expect(try await Self.count(client, "SELECT count(*) FROM users") == 0)
            }
        }
    }

    @Test("Appendix A 1: register → 201 {id, username}; a case-changed username or e-mail is 409; 2 bytes is 400")
    func registerAppendixA1() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let created = try await Self.post(gateway, "/auth/register", [
                    "username": "alice2", "email": "alice2@example.test", "password": "testpass2", "display_name": "Alice Two",
                ])
                #expect(created.status == 201)
                let body = try created.object()
                #expect(Set(body.keys) == ["id", "username"])
                #expect(body["username"] as? String == "alice2")
                let id = try #require((body["id"] as? NSNumber)?.int64Value)

                let sameName = try await Self.post(gateway, "/auth/register", [
                    "username": "ALICE2", "email": "other@example.test", "password": "testpass2",
                ])
                #expect(sameName.status == 409)
                #expect(try sameName.object() as? [String: String] == ["error": "Username or email already taken"])
                let sameEmail = try await Self.post(gateway, "/auth/register", [
                    "username": "alice3", "email": "Alice2@Example.TEST", "password": "testpass2",
                ])
                #expect(sameEmail.status == 409)
                #expect(try sameEmail.object() as? [String: String] == ["error": "Username or email already taken"])

                let short = try await Self.post(gateway, "/auth/register", ["username": "ab", "email": "ab@example.test", "password": "testpass2"])
                #expect(short.status == 400)
                #expect(try short.object() as? [String: String] == ["error": Self.usernameLength])

                // One user, with its settings row, the given display name and a current hash.
                #expect(try await Self.count(client, "SELECT count(*) FROM users") == 1)
                #expect(try await Self.count(client, """
                    SELECT count(*) FROM users u JOIN user_settings s ON s.user_id = u.id
                    WHERE u.id = \(id) AND u.display_name = 'Alice Two' AND u.password_hash LIKE 'pbkdf2:sha256:600000$%'
                      AND s.theme = 'light' AND s.notifications_enabled AND s.language = 'en'
                    """) == 1)
                let session = try await APISession.login(on: gateway, username: "alice2", password: "testpass2")
                #expect(session.userID == id)
            }
        }
    }

    // MARK: Login

    @Test("Appendix A 2: seed alice logs in with the five fields; the api_cpp hash is replaced; wrong password is 401")
    func loginAppendixA2() async throws {
        try await ScratchDatabase.with { database, client in
            let alice = try await Self.insertUser(client, username: "alice", hash: Self.aliceHash, isAdmin: true)
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let reply = try await Self.post(gateway, "/auth/login", ["username": "alice", "password": "testpass"])
                #expect(reply.status == 200)
                let body = try reply.object()
                #expect(Set(body.keys) == ["access_token", "refresh_token", "token_type", "expires_in", "user_id"])
                #expect(body["token_type"] as? String == "Bearer")
                #expect((body["expires_in"] as? NSNumber)?.int64Value == 3600)
                #expect((body["user_id"] as? NSNumber)?.int64Value == alice)
                let access = try #require(body["access_token"] as? String)
                let refresh = try #require(body["refresh_token"] as? String)
                let claims = try Self.claims(of: access)
                #expect(claims["sub"] as? String == "\(alice)")
                #expect(claims["type"] as? String == "access")
                #expect(claims["is_admin"] as? Bool == true)
                #expect(try Self.claims(of: refresh)["type"] as? String == "refresh")
                #expect(try Self.claims(of: refresh)["jti"] is String)

                // §8.1: the legacy row now holds a current hash, and it still logs in.
                let stored = try await Self.text(client, "SELECT password_hash FROM users WHERE id = \(alice)")
                #expect(stored.hasPrefix("pbkdf2:sha256:600000$"))
                #expect(try await Self.count(client, "SELECT count(*) FROM users WHERE id = \(alice) AND last_activity IS NOT NULL") == 1)
                // D-5: the row is committed before the answer, keyed by the HMAC with REFRESH_TOKEN_HASH_KEY.
                let tokens = await TokenService(
                    jwtSecret: TestEnvironment.secrets["JWT_SECRET"] ?? "",
                    refreshTokenHashKey: TestEnvironment.secrets["REFRESH_TOKEN_HASH_KEY"] ?? "", accessTTL: 3600, refreshTTL: 604_800)
                let hash = tokens.refreshTokenHash(refresh)
                #expect(try await Self.count(client, """
                    SELECT count(*) FROM refresh_tokens WHERE token_hash = \(hash) AND user_id = \(alice) AND NOT revoked
                      AND jti IS NOT NULL AND family_id IS NOT NULL
                    """) == 1)

                let again = try await Self.post(gateway, "/auth/login", ["username": "Alice", "password": "testpass"])
                #expect(again.status == 200)
                let wrong = try await Self.post(gateway, "/auth/login", ["username": "alice", "password": "wrongpass"])
                #expect(wrong.status == 401)
                #expect(try wrong.object() as? [String: String] == ["error": "Invalid credentials"])
            }
        }
    }

    @Test("login: the §3.1.2 errors; unknown and inactive users get the wrong-password answer")
    func loginErrors() async throws {
        try await ScratchDatabase.with { database, client in
            let gone = try await Self.insertUser(client, username: "gone", hash: Self.aliceHash, isAdmin: false)
            try await client.query("UPDATE users SET is_active = false WHERE id = \(gone)", logger: Self.logger)
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let invalid = try await HTTPTestClient.request(
                    gateway.baseURL + "/auth/login", method: .POST, headers: [("Content-Type", "application/json")],
                    body: Data("{".utf8))
                #expect(invalid.status == 400)
                #expect(try invalid.object() as? [String: String] == ["error": "Invalid JSON"])
                let required: [[String: Any]] = [
                    [:], ["username": "alice"], ["password": "testpass"], ["username": "", "password": "testpass"],
                    ["username": "alice", "password": ""], ["username": 5, "password": "testpass"],
                ]
                for body in required {
                    let reply = try await Self.post(gateway, "/auth/login", body)
                    #expect(reply.status == 400)
                    #expect(try reply.object() as? [String: String] == ["error": "username and password required"])
                }
                for username in ["nobody", "gone"] {
                    let reply = try await Self.post(gateway, "/auth/login", ["username": username, "password": "testpass"])
                    #expect(reply.status == 401)
                    #expect(try reply.object() as? [String: String] == ["error": "Invalid credentials"])
                }
            }
        }
    }

    @Test("a blocked user: /me 401 with a live access token, login 401 with a wrong password and 403 with the right one, refresh 403")
    func blockedAccount() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let session = try await APISession.register(on: gateway, username: "blocky")
                #expect(try await session.request(.GET, "/me").status == 200)
                try await client.query("UPDATE users SET is_blocked = true WHERE id = \(session.userID)", logger: Self.logger)

                let me = try await session.request(.GET, "/me")
                #expect(me.status == 401)
                #expect(try me.object() as? [String: String] == ["error": "Invalid or expired token"])
                let wrong = try await Self.post(gateway, "/auth/login", ["username": session.username, "password": "not-the-password"])
                #expect(wrong.status == 401)
                #expect(try wrong.object() as? [String: String] == ["error": "Invalid credentials"])
                let right = try await Self.post(gateway, "/auth/login", ["username": session.username, "password": session.password])
                #expect(right.status == 403)
                #expect(try right.object() as? [String: String] == ["error": "Account blocked. Contact support."])
                let refresh = try await Self.post(gateway, "/auth/refresh", ["refresh_token": session.refreshToken])
                #expect(refresh.status == 403)
                #expect(try refresh.object() as? [String: String] == ["error": "Account blocked. Contact support."])

                // Unblocked, the same refresh token still works: a 403 does not consume it.
                try await client.query("UPDATE users SET is_blocked = false WHERE id = \(session.userID)", logger: Self.logger)
                #expect(try await Self.post(gateway, "/auth/refresh", ["refresh_token": session.refreshToken]).status == 200)
            }
        }
    }

    // MARK: Bearer checks and /me

    @Test("Appendix A 3: no header, `Token x`, a tampered signature and a refresh token give the four §1.3 401s")
    func bearerChecks() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let session = try await APISession.register(on: gateway, username: "bearer")
                // Change a character in the middle of the signature: the last base64url character
                // carries padding bits that a decoder may ignore, so changing it can leave the
                // signature bytes unchanged.
                var characters = Array(session.accessToken)
                let middle = characters.count - 10
                characters[middle] = characters[middle] == "A" ? "B" : "A"
                let tampered = String(characters)
                let cases: [(header: String?, error: String)] = [
                    (nil, "Missing Authorization header"),
                    ("", "Missing Authorization header"),
                    ("Token x", "Authorization header must start with 'Bearer '"),
                    ("bearer \(session.accessToken)", "Authorization header must start with 'Bearer '"),
                    ("Bearer \(tampered)", "Invalid or expired token"),
                    // HTTP drops trailing whitespace from field values, so "Bearer " arrives as "Bearer".
                    ("Bearer ", "Authorization header must start with 'Bearer '"),
                    ("Bearer  \(session.accessToken)", "Invalid or expired token"),
                    ("Bearer \(session.refreshToken)", "Expected access token"),
                ]
                for (header, error) in cases {
                    let headers = header.map { [("Authorization", $0)] } ?? []
                    let reply = try await HTTPTestClient.request(gateway.baseURL + "/me", headers: headers)
                    #expect(reply.status == 401, "\(header ?? "no header")")
                    #expect(try reply.object() as? [String: String] == ["error": error], "\(header ?? "no header")")
                }
            }
        }
    }

    @Test("GET /me: the Me object; a migrated user without e-mail or display name gets \"\" and the username")
    func me() async throws {
        try await ScratchDatabase.with { database, client in
            try await client.query(
                "INSERT INTO users (username, email, password_hash, display_name) VALUES ('legacy_lou', NULL, \(Self.aliceHash), NULL)",
                logger: Self.logger)
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let session = try await APISession.register(on: gateway, username: "meme")
                let reply = try await session.request(.GET, "/me")
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
                let body = try reply.object()
                #expect(Set(body.keys) == ["id", "username", "display_name", "bio", "is_admin", "avatar_url", "email", "created_at"])
                #expect((body["id"] as? NSNumber)?.int64Value == session.userID)
                #expect(body["username"] as? String == session.username)
                #expect(body["display_name"] as? String == session.username)
                #expect(body["bio"] is NSNull)
                #expect(body["avatar_url"] is NSNull)
                #expect(body["is_admin"] as? Bool == false)
                #expect(body["email"] as? String == "\(session.username)@example.test")
                let created = try #require(body["created_at"] as? String)
                #expect(created.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z/) != nil)

                let legacy = try await APISession.login(on: gateway, username: "legacy_lou", password: "testpass")
                let legacyMe = try await legacy.request(.GET, "/me").object()
                #expect(legacyMe["email"] as? String == "")
                #expect(legacyMe["display_name"] as? String == "legacy_lou")
            }
        }
    }

    // MARK: Refresh and logout

    @Test("Appendix A 4: refresh rotates; the old token then gives 401 and revokes the new one; an access token is refused")
    func refreshRotation() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let session = try await APISession.register(on: gateway, username: "rotor")
                let first = try await Self.post(gateway, "/auth/refresh", ["refresh_token": session.refreshToken])
                #expect(first.status == 200)
                let body = try first.object()
                #expect(Set(body.keys) == ["access_token", "refresh_token", "token_type", "expires_in"])
                #expect(body["token_type"] as? String == "Bearer")
                #expect((body["expires_in"] as? NSNumber)?.int64Value == 3600)
                let newAccess = try #require(body["access_token"] as? String)
                let newRefresh = try #require(body["refresh_token"] as? String)
                #expect(newRefresh != session.refreshToken)
                let me = try await HTTPTestClient.request(gateway.baseURL + "/me", headers: [("Authorization", "Bearer \(newAccess)")])
                #expect(me.status == 200)

                let reused = try await Self.post(gateway, "/auth/refresh", ["refresh_token": session.refreshToken])
                #expect(reused.status == 401)
                #expect(try reused.object() as? [String: String] == ["error": "Invalid or expired refresh token"])
                let successor = try await Self.post(gateway, "/auth/refresh", ["refresh_token": newRefresh])
                #expect(successor.status == 401, "reuse revoked the whole family")
                #expect(try await Self.count(client, "SELECT count(*) FROM refresh_tokens WHERE user_id = \(session.userID) AND NOT revoked") == 0)
                #expect(gateway.log.contains("refresh token reuse detected"))

                // A fresh login starts a new family, untouched by the old one's revocation.
                let again = try await APISession.login(on: gateway, username: session.username, password: session.password)
                #expect(try await Self.post(gateway, "/auth/refresh", ["refresh_token": again.refreshToken]).status == 200)

                let access = try await Self.post(gateway, "/auth/refresh", ["refresh_token": again.accessToken])
                #expect(access.status == 401)
                #expect(try access.object() as? [String: String] == ["error": "Invalid or expired refresh token"])
            }
        }
    }

    @Test("refresh and logout: the 400s, and 401 for garbage, an unknown token and an inactive user")
    func refreshErrors() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                for path in ["/auth/refresh", "/auth/logout"] {
                    let invalid = try await HTTPTestClient.request(
                        gateway.baseURL + path, method: .POST, headers: [("Content-Type", "application/json")], body: Data("[]".utf8))
                    #expect(invalid.status == 400)
                    #expect(try invalid.object() as? [String: String] == ["error": "Invalid JSON"])
                    for body: [String: Any] in [[:], ["refresh_token": ""], ["refresh_token": 42], ["refresh_token": NSNull()]] {
                        let reply = try await Self.post(gateway, path, body)
                        #expect(reply.status == 400, "\(path) \(body)")
                        #expect(try reply.object() as? [String: String] == ["error": "refresh_token required"])
                    }
                }
                let garbage = try await Self.post(gateway, "/auth/refresh", ["refresh_token": "not.a.jwt"])
                #expect(garbage.status == 401)
                #expect(try garbage.object() as? [String: String] == ["error": "Invalid or expired refresh token"])

                // Validly signed, but no row was ever stored for it.
                let session = try await APISession.register(on: gateway, username: "ghost")
                let tokens = await TokenService(
                    jwtSecret: TestEnvironment.secrets["JWT_SECRET"] ?? "",
                    refreshTokenHashKey: TestEnvironment.secrets["REFRESH_TOKEN_HASH_KEY"] ?? "", accessTTL: 3600, refreshTTL: 604_800)
                let unstored = try await tokens.issueRefreshToken(userID: session.userID, isAdmin: false)
                #expect(try await Self.post(gateway, "/auth/refresh", ["refresh_token": unstored.token]).status == 401)

                try await client.query("UPDATE users SET is_active = false WHERE id = \(session.userID)", logger: Self.logger)
                let inactive = try await Self.post(gateway, "/auth/refresh", ["refresh_token": session.refreshToken])
                #expect(inactive.status == 401)
                #expect(try inactive.object() as? [String: String] == ["error": "Invalid or expired refresh token"])
            }
        }
    }

    @Test("a refresh row stored by api_cpp under the legacy key is accepted once and rotated")
    func legacyRefreshRow() async throws {
        try await ScratchDatabase.with { database, client in
            let bob = try await Self.insertUser(client, username: "bob", hash: Self.aliceHash, isAdmin: false)
            let tokens = await TokenService(
                jwtSecret: TestEnvironment.secrets["JWT_SECRET"] ?? "", refreshTokenHashKey: "unused-here-0123456789abcdef0123456",
                accessTTL: 3600, refreshTTL: 604_800)
            let token = try await tokens.issueRefreshToken(userID: bob, isAdmin: false).token
            let legacyHash = tokens.legacyRefreshTokenHash(token)
            try await client.query(
                "INSERT INTO refresh_tokens (user_id, token_hash, expires_at) VALUES (\(bob), \(legacyHash), now() + interval '7 days')",
                logger: Self.logger)
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let rotated = try await Self.post(gateway, "/auth/refresh", ["refresh_token": token])
                #expect(rotated.status == 200)
                let next = try #require(try rotated.object()["refresh_token"] as? String)
                #expect(try await Self.count(client, "SELECT count(*) FROM refresh_tokens WHERE token_hash = \(legacyHash) AND revoked") == 1)
                #expect(try await Self.post(gateway, "/auth/refresh", ["refresh_token": token]).status == 401)
                #expect(try await Self.post(gateway, "/auth/refresh", ["refresh_token": next]).status == 401)
            }
        }
    }

    @Test("logout revokes the refresh token and answers 204, also for tokens that do not verify")
    func logout() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                let session = try await APISession.register(on: gateway, username: "leaver")
                let out = try await Self.post(gateway, "/auth/logout", ["refresh_token": session.refreshToken])
                #expect(out.status == 204)
                #expect(out.body.isEmpty)
                #expect(try await Self.count(client, "SELECT count(*) FROM refresh_tokens WHERE user_id = \(session.userID) AND NOT revoked") == 0)
                let refresh = try await Self.post(gateway, "/auth/refresh", ["refresh_token": session.refreshToken])
                #expect(refresh.status == 401)
                #expect(try await Self.post(gateway, "/auth/logout", ["refresh_token": session.refreshToken]).status == 204)
                #expect(try await Self.post(gateway, "/auth/logout", ["refresh_token": "garbage"]).status == 204)
                #expect(try await Self.post(gateway, "/auth/logout", ["refresh_token": session.accessToken]).status == 204)
            }
        }
    }

    // MARK: Rate limits

    @Test("with the default configuration, the 11th login in a minute from one IP gets 429 with Retry-After")
    func loginRateLimitPerIP() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                // Distinct unknown usernames keep the per-username bucket out of it. A fixed window
                // may start during the loop, so up to two windows' worth of requests are allowed.
                var allowed = 0
                var limited: HTTPTestClient.Reply?
                for attempt in 0..<21 where limited == nil {
                    let reply = try await Self.post(gateway, "/auth/login", ["username": "nobody\(attempt)", "password": "testpass"])
                    if reply.status == 429 { limited = reply } else { #expect(reply.status == 401); allowed += 1 }
                }
                let reply = try #require(limited)
                #expect(allowed >= 10)
                #expect(try reply.object() as? [String: String] == ["error": "Too many requests"])
                let retryAfter = try #require(reply.headers.first(name: "Retry-After").flatMap { Int($0) })
                #expect((1...60).contains(retryAfter))
            }
        }
    }

    @Test("the 6th login for one username in a minute, in any case, gets 429; so does the 6th registration in an hour")
    func usernameAndRegisterLimits() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                var allowed = 0
                var limited = false
                for attempt in 0..<11 where !limited {
                    let name = attempt.isMultiple(of: 2) ? "target" : "TARGET"
                    let reply = try await Self.post(gateway, "/auth/login", ["username": name, "password": "guess\(attempt)"])
                    if reply.status == 429 { limited = true } else { #expect(reply.status == 401); allowed += 1 }
                }
                #expect(limited)
                #expect(allowed >= 5)

                var registered = 0
                var refused: HTTPTestClient.Reply?
                for attempt in 0..<11 where refused == nil {
                    let name = "reg\(attempt)"
                    let reply = try await Self.post(gateway, "/auth/register", [
                        "username": name, "email": "\(name)@example.test", "password": "secret-password",
                    ])
                    if reply.status == 429 { refused = reply } else { #expect(reply.status == 201); registered += 1 }
                }
                let reply = try #require(refused)
                #expect(registered >= 5)
                #expect(reply.headers.first(name: "Retry-After").flatMap { Int($0) }.map { (1...3600).contains($0) } == true)
            }
        }
    }

    @Test("refresh is limited per user: the 31st in a minute gets 429")
    func refreshRateLimit() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                let session = try await APISession.register(on: gateway, username: "spinner")
                var token = session.refreshToken
                var allowed = 0
                var limited = false
                for _ in 0..<61 where !limited {
                    let reply = try await Self.post(gateway, "/auth/refresh", ["refresh_token": token])
                    if reply.status == 429 {
                        limited = true
                        #expect(reply.headers.first(name: "Retry-After") != nil)
                    } else {
                        #expect(reply.status == 200)
                        token = try #require(try reply.object()["refresh_token"] as? String)
                        allowed += 1
                    }
                }
                #expect(limited)
                #expect(allowed >= 30)
            }
        }
    }

    @Test("RATE_LIMIT_ENABLED=false: no 429 for many logins and registrations from one IP")
    func limitsDisabled() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url, environment: Self.noLimits) { gateway in
                for attempt in 0..<12 {
                    let reply = try await Self.post(gateway, "/auth/login", ["username": "target", "password": "guess\(attempt)"])
                    #expect(reply.status == 401)
                }
                for attempt in 0..<7 {
                    let name = "free\(attempt)"
                    let reply = try await Self.post(gateway, "/auth/register", [
                        "username": name, "email": "\(name)@example.test", "password": "secret-password",
                    ])
                    #expect(reply.status == 201)
                }
            }
        }
    }

    // MARK: Helpers

    static let logger = Logger(label: "auth-api-tests")

    static func json(_ object: [String: Any]) throws -> Data {
        try HTTPTestClient.json(object)
    }

    static func post(_ gateway: GatewayProcess, _ path: String, _ body: [String: Any]) async throws -> HTTPTestClient.Reply {
        try await HTTPTestClient.request(
            gateway.baseURL + path, method: .POST, headers: [("Content-Type", "application/json")], body: json(body))
    }

    static func insertUser(_ client: PostgresClient, username: String, hash: String, isAdmin: Bool) async throws -> Int64 {
        let rows = try await client.query(
            """
            INSERT INTO users (username, email, password_hash, display_name, is_admin)
            VALUES (\(username), \(username + "@example.com"), \(hash), \(username.capitalized), \(isAdmin)) RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw SetupFailure.noRow
    }

    static func count(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int64 {
        for try await value in try await client.query(query, logger: logger).decode(Int64.self) { return value }
        throw SetupFailure.noRow
    }

    static func text(_ client: PostgresClient, _ query: PostgresQuery) async throws -> String {
        for try await value in try await client.query(query, logger: logger).decode(String.self) { return value }
        throw SetupFailure.noRow
    }

    /// The decoded payload of a compact JWS.
    static func claims(of token: String) throws -> [String: Any] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw SetupFailure.notAToken }
        var base64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { throw SetupFailure.notAToken }
        return object
    }

    enum SetupFailure: Error {
        case noRow
        case notAToken
    }
}
