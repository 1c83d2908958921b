import Foundation
import Testing
import TestSupport

@Suite("Legacy API: avatar and voice uploads, /uploads/* (real gateway binary)")
struct LegacyUploadTests {
    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    /// A multipart body with `parts` (name, filename or nil for a text field, bytes).
    static func multipart(_ parts: [(String, String?, Data)]) -> (Data, String) {
        let boundary = "legacy-\(UUID().uuidString)"
        var body = Data()
        for (name, filename, bytes) in parts {
            body.append(Data("--\(boundary)\r\n".utf8))
            if let filename {
                body.append(Data("Content-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8))
            } else {
                body.append(Data("Content-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8))
            }
            body.append(bytes)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    static let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + Data(repeating: 7, count: 100)
    static let ogg = Data("OggS".utf8) + Data(repeating: 1, count: 200)

    @Test("avatar: 200 with the stable URL, which redirects to a signed URL; errors of §5.11")
    func avatar() async throws {
        try await LegacyFixture.with { f in
            let (browser, id, _) = try await LegacyBrowser.register(on: f.gateway)
            let (body, type) = Self.multipart([("file", "me.PNG", Self.png)])
            let uploaded = try await browser.request(.POST, "/web-api/upload/avatar", body: body, contentType: type)
            #expect(uploaded.status == 200)
            #expect(uploaded.text == "{\"avatar_url\":\"/web-api/users/\(id)/avatar\"}\n")
            #expect(try await browser.request(.GET, "/web-api/me").object["avatar_url"] as? String == "/web-api/users/\(id)/avatar")
            let redirect = try await browser.request(.GET, "/web-api/users/\(id)/avatar")
            #expect(redirect.status == 302)
            #expect(redirect.headers["Location"].first?.isEmpty == false)
            #expect(redirect.headers["Cache-Control"] == ["no-store"])
            #expect(try await browser.request(.GET, "/web-api/users/999999/avatar").status == 404)
            #expect(try await LegacyBrowser(gateway: f.gateway).request(.GET, "/web-api/users/\(id)/avatar").status == 401)

            for (parts, error) in [
                ([("other", "a.png", Self.png)], "No file provided"),
                ([("file", nil, Self.png)], "No file provided"),
                ([("file", "noextension", Self.png)], "Invalid file type"),
                ([("file", "a.svg", Data("<svg/>".utf8))], "Invalid file type"),
                ([("file", "fake.png", Data("just text".utf8))], "Invalid file type"),
                ([("file", "big.png", Self.png + Data(count: 5 * 1024 * 1024))], "File too large (max 5MB)"),
            ] as [([(String, String?, Data)], String)] {
                let (body, type) = Self.multipart(parts)
                let refused = try await browser.request(.POST, "/api/upload/avatar", body: body, contentType: type)
                #expect(refused.status == 400, "\(error)")
                #expect(refused.error == error)
            }
        }
    }

    @Test("voice: 201 Message of §5.12, served at /uploads/<attachment_path> to chat members only, with Range")
    func voice() async throws {
        try await LegacyFixture.with { f in
            let (alice, aliceID, _) = try await LegacyBrowser.register(on: f.gateway, username: "alice")
            let (bob, bobID, _) = try await LegacyBrowser.register(on: f.gateway, username: "bob")
            let (eve, _, _) = try await LegacyBrowser.register(on: f.gateway, username: "eve")
            let chatID = try #require(Self.int(try await alice.request(.POST, "/api/chats", json: ["with_user_id": bobID]).object["id"]))

            let (body, type) = Self.multipart([("file", "../../evil name.OGG", Self.ogg), ("chat_id", nil, Data(String(chatID).utf8)), ("duration", nil, Data("7".utf8))])
            let sent = try await alice.request(.POST, "/web-api/upload/voice", body: body, contentType: type)
            #expect(sent.status == 201)
            let message = sent.object
            #expect(message["message_type"] as? String == "voice")
            #expect(message["content"] as? String == "")
            #expect(Self.int(message["duration_seconds"]) == 7)
            #expect(message["sticker_url"] is NSNull)
            let path = try #require(message["attachment_path"] as? String)
            #expect(path.range(of: "^voice/voice_\(aliceID)_[0-9a-f]{8}\\.ogg$", options: .regularExpression) != nil)
            #expect(try await bob.request(.GET, "/api/chats").array.first?["last_preview"] as? String == "\u{1F3A4} Voice message")

            let file = try await bob.request(.GET, "/uploads/\(path)", contentType: nil)
            #expect(file.status == 200)
            #expect(file.body == Self.ogg)
            #expect(file.headers["Content-Type"] == ["audio/ogg"])
            let range = try await bob.request(.GET, "/uploads/\(path)", contentType: nil, headers: [("Range", "bytes=0-3")])
            #expect(range.status == 206)
            #expect(range.text == "OggS")
            let name = path.dropFirst("voice/".count)
            #expect(try await bob.request(.GET, "/uploads/voice/../voice/\(name)").status == 200)
            #expect(try await eve.request(.GET, "/uploads/\(path)").status == 404)
            #expect(try await LegacyBrowser(gateway: f.gateway).request(.GET, "/uploads/\(path)").status == 401)
            #expect(try await bob.request(.GET, "/uploads/%2e%2e/app.py").status == 403)
            #expect(try await bob.request(.GET, "/uploads/voice/missing.ogg").status == 404)

            for (parts, status, error) in [
                ([("chat_id", nil, Data(String(chatID).utf8))], 400, "No file provided"),
                ([("file", "v.txt", Self.ogg), ("chat_id", nil, Data(String(chatID).utf8))], 400, "Invalid file type"),
                ([("file", "v.ogg", Self.ogg)], 400, "chat_id required"),
                ([("file", "v.ogg", Self.ogg), ("chat_id", nil, Data("x".utf8))], 400, "chat_id required"),
            ] as [([(String, String?, Data)], Int, String)] {
                let (body, type) = Self.multipart(parts)
                let refused = try await alice.request(.POST, "/api/upload/voice", body: body, contentType: type)
                #expect(refused.status == status, "\(error)")
                #expect(refused.error == error)
            }
            let (outsiderBody, outsiderType) = Self.multipart([("file", "v.ogg", Self.ogg), ("chat_id", nil, Data(String(chatID).utf8))])
            let outsider = try await eve.request(.POST, "/api/upload/voice", body: outsiderBody, contentType: outsiderType)
            #expect(outsider.status == 404)
            #expect(outsider.error == "Conversation not found")
        }
    }
}
