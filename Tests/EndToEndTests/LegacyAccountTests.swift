import Foundation
import Testing
import TestSupport

@Suite("Legacy API: accounts and sessions (real gateway binary)")
struct LegacyAccountTests {
    @Test("register: 201 golden body, session cookie with the §8.1 attributes plus SameSite, real cpp_token; errors in order")
    func register() async throws {
        try await LegacyFixture.with { f in
            let browser = LegacyBrowser(gateway: f.gateway)
            let name = "Reg_\(UUID().uuidString.prefix(6))"
            let reply = try await browser.request(.POST, "/web-api/register", json: ["username": "  \(name) ", "password": "secret1"])
            #expect(reply.status == 201)
            #expect(reply.headers["Content-Type"] == ["application/json"])
            #expect(reply.text.hasSuffix("}\n"))
            #expect(Set(reply.object.keys) == ["cpp_token", "id", "username"])
            #expect(reply.object["username"] as? String == name)
            let setCookie = try #require(reply.setCookie)
            #expect(setCookie.hasSuffix("; HttpOnly; Path=/; SameSite=Lax"))
            #expect(!setCookie.contains("Secure"))
            // The cpp_token is an access token of the JWT API for the same user.
            let token = try #require(reply.object["cpp_token"] as? String)
            let me = try await HTTPTestClient.request(f.gateway.baseURL + "/me", headers: [("Authorization", "Bearer \(token)")])
            #expect(me.status == 200)
            #expect((try me.object()["id"] as? NSNumber) == reply.object["id"] as? NSNumber)

            let anonymous = LegacyBrowser(gateway: f.gateway)
            let cases: [(Any, Int, String)] = [
                ([:] as [String: Any], 400, "Username must be 3\u{2013}32 characters."),
                (["username": "ab", "password": "secret1"], 400, "Username must be 3\u{2013}32 characters."),
                (["username": 5, "password": "secret1"], 400, "Username must be 3\u{2013}32 characters."),
                (["username": "a b c", "password": "secret1"], 400, "Username may only contain letters, digits, - and _."),
                (["username": "___", "password": "secret1"], 400, "Username may only contain letters, digits, - and _."),
                (["username": "valid_name", "password": "12345"], 400, "Password must be 6\u{2013}128 characters."),
                (["username": name.uppercased(), "password": "secret1"], 409, "Username already taken."),
                ([1], 400, "Username must be 3\u{2013}32 characters."),
            ]
            for (body, status, message) in cases {
                let refused = try await anonymous.request(.POST, "/api/register", json: body)
                #expect(refused.status == status, "\(body)")
                #expect(refused.text == "{\"error\":\"\(message.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04x", $0.value) }.joined())\"}\n")
                #expect(refused.setCookie == nil)
            }
            // Non-ASCII letters and numbers are letters for the legacy rule; the body escapes them.
            let unicode = try await anonymous.request(.POST, "/api/register", json: ["username": "Ün\(UUID().uuidString.prefix(4))²", "password": "secret1"])
            #expect(unicode.status == 201)
            #expect(unicode.text.contains("\\u00dcn"))
        }
    }

    @Test("login: stored spelling, cpp_token, 400/401/403 errors; a failed login keeps the old session")
    func login() async throws {
        try await LegacyFixture.with { f in
            let (_, id, name) = try await LegacyBrowser.register(on: f.gateway, username: "Carol")
            let browser = LegacyBrowser(gateway: f.gateway)
            let ok = try await browser.request(.POST, "/web-api/login", json: ["username": " \(name.uppercased()) ", "password": "secret-pass"])
            #expect(ok.status == 200)
            #expect(ok.object["username"] as? String == name)
            #expect((ok.object["id"] as? NSNumber)?.int64Value == id)
            #expect((ok.object["cpp_token"] as? String)?.split(separator: ".").count == 3)
            #expect(try await browser.request(.GET, "/web-api/me").status == 200)
            // Behind a TLS-terminating proxy the cookie is Secure.
            let secure = try await LegacyBrowser(gateway: f.gateway).request(
                .POST, "/web-api/login", json: ["username": name, "password": "secret-pass"], headers: [("X-Forwarded-Proto", "https")])
            #expect(secure.setCookie?.hasSuffix("; HttpOnly; Path=/; SameSite=Lax; Secure") == true)

            for (body, status, message) in [
                (["username": name, "password": ""], 400, "Username and password required."),
                (["username": "   ", "password": "x"], 400, "Username and password required."),
                (["username": name, "password": "wrong-pass"], 401, "Invalid credentials."),
                (["username": "nobody_here", "password": "secret-pass"], 401, "Invalid credentials."),
            ] as [([String: String], Int, String)] {
                let refused = try await browser.request(.POST, "/api/login", json: body)
                #expect(refused.status == status)
                #expect(refused.error == message)
                #expect(refused.setCookie == nil)
            }
            // The earlier session still works.
            #expect(try await browser.request(.GET, "/api/me").status == 200)

            try await f.execute("UPDATE users SET is_blocked = true WHERE id = \(id)")
            let blocked = try await LegacyBrowser(gateway: f.gateway).request(.POST, "/api/login", json: ["username": name, "password": "secret-pass"])
            #expect(blocked.status == 403)
            #expect(blocked.error == "Account blocked. Contact support.")
            // Blocking also ends the existing session at once.
            let me = try await browser.request(.GET, "/api/me")
            #expect(me.status == 401)
            #expect(me.text == "{\"error\":\"Unauthorised\"}\n")
        }
    }

    @Test("logout revokes the session server-side: a copied cookie stops working; deletion header always sent")
    func logoutRevokesCopies() async throws {
        try await LegacyFixture.with { f in
            let (browser, _, _) = try await LegacyBrowser.register(on: f.gateway)
            let copied = try #require(browser.cookie)
            let out = try await browser.request(.POST, "/web-api/logout")
            #expect(out.status == 200)
            #expect(out.text == "{\"ok\":true}\n")
            #expect(out.setCookie == "session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax")
            let thief = LegacyBrowser(gateway: f.gateway, cookie: copied)
            #expect(try await thief.request(.GET, "/api/me").status == 401)
            // Without any session, logout still answers and deletes the cookie.
            let anonymous = try await LegacyBrowser(gateway: f.gateway).request(.POST, "/api/logout")
            #expect(anonymous.status == 200)
            #expect(anonymous.setCookie?.hasPrefix("session=;") == true)
            #expect(try await LegacyBrowser(gateway: f.gateway).request(.GET, "/api/logout").status == 405)
        }
    }

    @Test("a cookie signed by api_legacy is accepted as is, upgraded to a recorded session, and revoked by logout")
    func legacyCookieAcceptedAndUpgraded() async throws {
        try await LegacyFixture.with { f in
            let (_, id, name) = try await LegacyBrowser.register(on: f.gateway, username: "old")
            let legacyCookie = FlaskCookieForge.cookie(
                json: #"{"cpp_token":"eyJ.old.token","user_id":\#(id),"username":"\#(name)"}"#, secret: FlaskCookieForge.gatewaySecret)
            let browser = LegacyBrowser(gateway: f.gateway, cookie: legacyCookie)
            let me = try await browser.request(.GET, "/web-api/me")
            #expect(me.status == 200)
            #expect(me.object["username"] as? String == name)
            #expect(me.headers["Vary"].contains("Cookie"))
            let upgraded = try #require(me.setCookie)
            #expect(upgraded.hasSuffix("; HttpOnly; Path=/; SameSite=Lax"))
            #expect(browser.cookie != legacyCookie)
            // The upgraded cookie works without a further upgrade.
            let again = try await browser.request(.GET, "/web-api/me")
            #expect(again.status == 200)
            #expect(again.setCookie == nil)
            // /web-api/token hands out a fresh JWT access token for the session's user.
            let token = try await browser.request(.GET, "/web-api/token")
            #expect(token.status == 200)
            let jwt = try #require(token.object["cpp_token"] as? String)
            #expect(try await HTTPTestClient.request(f.gateway.baseURL + "/me", headers: [("Authorization", "Bearer \(jwt)")]).status == 200)

            #expect(try await browser.request(.POST, "/api/logout").status == 200)
            // Both the upgraded cookie and the original api_legacy cookie are dead now.
            #expect(try await LegacyBrowser(gateway: f.gateway, cookie: legacyCookie).request(.GET, "/api/me").status == 401)

            // Forged, expired, future and admin-panel cookies are anonymous.
            let secret = FlaskCookieForge.gatewaySecret
            let now = Int64(Date().timeIntervalSince1970)
            for cookie in [
                FlaskCookieForge.cookie(json: #"{"user_id":\#(id)}"#, secret: "some-other-secret-of-sufficient-length"),
                FlaskCookieForge.cookie(json: #"{"user_id":\#(id)}"#, secret: secret, timestamp: now - 2_678_401),
                FlaskCookieForge.cookie(json: #"{"user_id":\#(id)}"#, secret: secret, timestamp: now + 60),
                FlaskCookieForge.cookie(json: #"{"is_admin":true,"user_id":\#(id),"username":"\#(name)"}"#, secret: secret),
                "garbage",
            ] {
                #expect(try await LegacyBrowser(gateway: f.gateway, cookie: cookie).request(.GET, "/api/token").status == 401)
            }
        }
    }

    @Test("me, profile and settings: golden shapes, full-replacement profile, settings coercions")
    func profileAndSettings() async throws {
        try await LegacyFixture.with { f in
            let (browser, id, name) = try await LegacyBrowser.register(on: f.gateway, username: "prof")
            let me = try await browser.request(.GET, "/web-api/me")
            #expect(me.text == "{\"avatar_url\":null,\"bio\":\"\",\"display_name\":\"\(name)\",\"id\":\(id),\"username\":\"\(name)\"}\n")
            let put = try await browser.request(.PUT, "/web-api/profile", json: ["display_name": "  Zoë \u{1F600} ", "bio": String(repeating: "b", count: 250)])
            #expect(put.status == 200)
            #expect(put.object["display_name"] as? String == "Zoë \u{1F600}")
            #expect((put.object["bio"] as? String)?.count == 200)
            #expect(put.text.contains("Zo\\u00eb \\ud83d\\ude00"))
            // A missing field clears the column: the username shows again.
            let cleared = try await browser.request(.PUT, "/api/profile", json: [:] as [String: Any])
            #expect(cleared.object["display_name"] as? String == name)
            #expect(cleared.object["bio"] as? String == "")
            #expect(try await browser.request(.PUT, "/api/profile", json: ["display_name": 5]).status == 400)
            #expect(try await browser.request(.PUT, "/api/profile", body: Data("{".utf8)).status == 400)
            #expect(try await browser.request(.GET, "/api/profile").object["username"] as? String == name)

            let settings = try await browser.request(.GET, "/web-api/settings")
            #expect(settings.text == "{\"language\":\"en\",\"notifications_enabled\":true,\"theme\":\"light\"}\n")
            let saved = try await browser.request(.PUT, "/web-api/settings", json: ["theme": "dark", "notifications_enabled": "false", "language": 5])
            #expect(saved.text == "{\"language\":5,\"notifications_enabled\":true,\"theme\":\"dark\"}\n")
            #expect(try await browser.request(.GET, "/api/settings").text == "{\"language\":\"5\",\"notifications_enabled\":true,\"theme\":\"dark\"}\n")
            let coerced = try await browser.request(.PUT, "/api/settings", json: ["theme": "blue", "notifications_enabled": 0])
            #expect(coerced.text == "{\"language\":\"en\",\"notifications_enabled\":false,\"theme\":\"light\"}\n")
            #expect(try await browser.request(.PUT, "/api/settings", json: ["language": NSNull()]).status == 400)

            for path in ["/api/me", "/api/profile", "/api/settings", "/api/users", "/api/chats", "/api/stickers", "/web-api/token", "/api/messages?chat_id=1"] {
                let anonymous = try await LegacyBrowser(gateway: f.gateway).request(.GET, path)
                #expect(anonymous.status == 401, "\(path)")
                #expect(anonymous.error == "Unauthorised")
            }
        }
    }

    @Test("the JWT API's login rate limit also guards the legacy login: 429 in the legacy style with Retry-After")
    func loginRateLimit() async throws {
        try await LegacyFixture.with(environment: ["RATE_LIMIT_ENABLED": "true"]) { f in
            let browser = LegacyBrowser(gateway: f.gateway)
            try await FixedWindow.waitForTopOfMinute()
            var statuses: [Int] = []
            for _ in 0..<5 {
                statuses.append(try await browser.request(.POST, "/api/login", json: ["username": "target_user", "password": "wrong-pass"]).status)
            }
            #expect(statuses == [401, 401, 401, 401, 401])
            let limited = try await browser.request(.POST, "/api/login", json: ["username": "target_user", "password": "wrong-pass"])
            #expect(limited.status == 429)
            #expect(limited.error == "Too many requests")
            #expect(!limited.headers["Retry-After"].isEmpty)
        }
    }
}
