import Crypto
import Foundation
import Testing
import TestSupport

@Suite("Legacy SPA: the §7 call sequence end to end (real gateway binary)")
struct LegacySPASequenceTests {
    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    @Test("login page → app start → chat → send, poll, sticker → profile dialog → avatar → logout")
    func spaSession() async throws {
        try await LegacyFixture.with { f in
            let (_, bobID, _) = try await LegacyBrowser.register(on: f.gateway, username: "bob")
            let name = "alice_\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await LegacyBrowser(gateway: f.gateway).request(.POST, "/web-api/register", json: ["username": name, "password": "secret-pass"])
            let heart = try await f.addSticker(label: "Heart", uploader: bobID)
            let same = [("Origin", "http://127.0.0.1:\(f.gateway.port)")]

            let browser = LegacyBrowser(gateway: f.gateway)
            #expect(try await browser.request(.GET, "/app").headers["Location"] == ["/login"])
            #expect(try await browser.request(.GET, "/login").status == 200)
            // L1
            let login = try await browser.request(.POST, "/web-api/login", json: ["username": name, "password": "secret-pass"], headers: same)
            #expect(login.status == 200)
            #expect((login.object["cpp_token"] as? String)?.isEmpty == false)
            let app = try await browser.request(.GET, "/app")
            #expect(app.text.contains("data-cpp-api="))
            // L3, L4, L5, L6 (+ C1 on the JWT API with the cpp_token), L11
            let me = try await browser.request(.GET, "/web-api/me")
            let myID = try #require(Self.int(me.object["id"]))
            #expect(try await browser.request(.GET, "/web-api/settings").object["theme"] as? String == "light")
            #expect(try await browser.request(.GET, "/web-api/stickers").array.count == 1)
            #expect(try await browser.request(.GET, "/web-api/chats").array.isEmpty)
            let token = try #require(login.object["cpp_token"] as? String)
            #expect(try await HTTPTestClient.request(f.gateway.baseURL + "/chats", headers: [("Authorization", "Bearer \(token)")]).status == 200)
            let users = try await browser.request(.GET, "/web-api/users")
            #expect(users.array.contains { Self.int($0["id"]) == bobID })
            // L12, L7, L8, L7 polling with after_id, L9
            let chatID = try #require(Self.int(try await browser.request(.POST, "/web-api/chats", json: ["with_user_id": bobID], headers: same).object["id"]))
            #expect(try await browser.request(.GET, "/web-api/messages?chat_id=\(chatID)&after_id=0").array.isEmpty)
            let sent = try await browser.request(.POST, "/web-api/messages", json: ["chat_id": chatID, "type": "text", "content": "hello"], headers: same)
            #expect(sent.status == 201)
            #expect(Self.int(sent.object["from_user_id"]) == myID)
            let lastID = try #require(Self.int(sent.object["id"]))
            #expect(try await browser.request(.GET, "/web-api/messages?chat_id=\(chatID)&after_id=\(lastID)").array.isEmpty)
            let sticker = try await browser.request(.POST, "/web-api/messages", json: ["chat_id": chatID, "type": "sticker", "sticker_id": heart], headers: same)
            #expect(sticker.object["sticker_url"] as? String == "/web-api/stickers/\(heart)/image")
            let polled = try await browser.request(.GET, "/web-api/messages?chat_id=\(chatID)&after_id=\(lastID)")
            #expect(polled.array.map { $0["message_type"] as? String } == ["sticker"])
            #expect(try await browser.request(.GET, "/web-api/chats").array.first?["last_preview"] as? String == "\u{1F3AD} Sticker")
            // L13, L15, L16, L14
            #expect(try await browser.request(.GET, "/web-api/profile").object["username"] as? String == name)
            let saved = try await browser.request(.PUT, "/web-api/profile", json: ["display_name": "Alice", "bio": "hi"], headers: same)
            #expect(saved.object["display_name"] as? String == "Alice")
            #expect(try await browser.request(.PUT, "/web-api/settings", json: ["theme": "dark", "notifications_enabled": false, "language": "en"], headers: same).status == 200)
            let (body, type) = LegacyUploadTests.multipart([("file", "me.png", LegacyUploadTests.png)])
            let avatar = try await browser.request(.POST, "/web-api/upload/avatar", body: body, contentType: type, headers: same)
            #expect(avatar.object["avatar_url"] as? String == "/web-api/users/\(myID)/avatar")
            // Bob sees the new display name and avatar on the message.
            let bobLogin = try await LegacyBrowser(gateway: f.gateway).request(
                .POST, "/web-api/login", json: ["username": try await LegacyMessagingTests.username(f, bobID), "password": "secret-pass"])
            let bob = LegacyBrowser(gateway: f.gateway, cookie: bobLogin.setCookie.map { String($0.dropFirst("session=".count).prefix { $0 != ";" }) })
            let seen = try await bob.request(.GET, "/web-api/messages?chat_id=\(chatID)")
            #expect(seen.array.first?["from_display_name"] as? String == "Alice")
            #expect(seen.array.first?["from_avatar_url"] as? String == "/web-api/users/\(myID)/avatar")
            // L17
            #expect(try await browser.request(.POST, "/web-api/logout", headers: same).status == 200)
            #expect(browser.cookie == nil)
            #expect(try await browser.request(.GET, "/app").headers["Location"] == ["/login"])
        }
    }

    @Test("the gateway's cookie is a valid Flask cookie: independent HMAC check, user_id, username and sid")
    func issuedCookieIsFlaskFormat() async throws {
        try await LegacyFixture.with { f in
            let (browser, id, name) = try await LegacyBrowser.register(on: f.gateway)
            let cookie = try #require(browser.cookie)
            // P.T.S, where P is `.`-prefixed when compressed: the signature covers all before the last dot.
            let signatureDot = try #require(cookie.lastIndex(of: "."))
            let signingInput = String(cookie[..<signatureDot])
            let derived = HMAC<Insecure.SHA1>.authenticationCode(
                for: Data("cookie-session".utf8), using: SymmetricKey(data: Data(FlaskCookieForge.gatewaySecret.utf8)))
            let signature = HMAC<Insecure.SHA1>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: Data(derived)))
            #expect(FlaskCookieForge.base64URL(Data(signature)) == String(cookie[cookie.index(after: signatureDot)...]))
            // The signing time is now (6 characters for present-day times).
            let timestamp = try #require(signingInput.split(separator: ".").last)
            #expect(timestamp.count == 6)
            // The payload is compressed (zlib) when that makes it shorter; the codec's unit tests
            // cover that form byte for byte. An uncompressed payload is read here directly.
            guard !cookie.hasPrefix(".") else { return }
            var payload = String(cookie.split(separator: ".")[0]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
            let json = try #require(Data(base64Encoded: payload))
            let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            #expect(Self.int(object["user_id"]) == id)
            #expect(object["username"] as? String == name)
            #expect((object["sid"] as? String).flatMap(UUID.init(uuidString:)) != nil)
            #expect(String(decoding: json, as: UTF8.self).hasPrefix("{\"sid\":"))
        }
    }

    @Test("OPTIONS answers 200 with Allow on legacy routes; HEAD mirrors GET; unknown methods 405")
    func methods() async throws {
        try await LegacyFixture.with { f in
            let browser = LegacyBrowser(gateway: f.gateway)
            let options = try await browser.request(.OPTIONS, "/web-api/messages")
            #expect(options.status == 200)
            #expect(options.headers["Allow"] == ["GET, HEAD, OPTIONS, POST"])
            #expect(options.headers["Access-Control-Allow-Origin"].isEmpty)
            let head = try await browser.request(.HEAD, "/static/style.css")
            #expect(head.status == 200)
            #expect(head.body.isEmpty)
            #expect(try await browser.request(.DELETE, "/api/messages").status == 405)
            #expect(try await browser.request(.POST, "/login").status == 405)
        }
    }
}
