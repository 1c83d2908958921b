import Foundation
import Testing
import TestSupport

@Suite("Legacy pages, static files and CSRF (real gateway binary)")
struct LegacyPageTests {
    @Test("page routes: redirects with next, deep links injected into the SPA's own app.html")
    func pages() async throws {
        try await LegacyFixture.with { f in
            let anonymous = LegacyBrowser(gateway: f.gateway)
            #expect(try await anonymous.request(.GET, "/").headers["Location"] == ["/login"])
            #expect(try await anonymous.request(.GET, "/app").headers["Location"] == ["/login"])
            let login = try await anonymous.request(.GET, "/login")
            #expect(login.status == 200)
            #expect(login.text.contains("login page"))
            #expect(try await anonymous.request(.GET, "/register").text.contains("register page"))

            let dm = try await anonymous.request(.GET, "/dm/5", headers: [("Host", "localhost")])
            #expect(dm.status == 302)
            #expect(dm.headers["Location"] == ["/login?next=http://localhost/dm/5"])
            let query = try await anonymous.request(.GET, "/dm/12?a=b%20c&d=%C3%A9", headers: [("Host", "chat.example.com")])
            #expect(query.headers["Location"] == ["/login?next=http://chat.example.com/dm/12?a%3Db%2520c%26d%3D%C3%A9"])
            let unicode = try await anonymous.request(.GET, "/dm/@b%C3%B6b", headers: [("Host", "localhost")])
            #expect(unicode.headers["Location"] == ["/login?next=http://localhost/dm/@b%C3%B6b"])

            let profile = try await anonymous.request(.GET, "/@a%22%3Cb%3E")
            #expect(profile.status == 200)
            #expect(profile.text.contains(#"data-deeplink="profile:a&#34;&lt;b&gt;""#))
            #expect(profile.text.contains(#"<body class="app" data-theme="light" data-deeplink="#))
            #expect(profile.text.contains(#"data-cpp-api="http://127.0.0.1:\#(f.gateway.port)""#))
            #expect(try await anonymous.request(.GET, "/u/007").text.contains(#"data-deeplink="profile-id:7""#))
            #expect(try await anonymous.request(.GET, "/u/99999999999999999999").text.contains(#"data-deeplink="profile-id:99999999999999999999""#))
            #expect(try await anonymous.request(.GET, "/join/tok3n").text.contains(#"data-deeplink="join:tok3n""#))
            #expect(try await anonymous.request(.GET, "/c/news").text.contains(#"data-deeplink="channel:news""#))
            for path in ["/u/-1", "/u/abc", "/dm/x1", "/c/a/b", "/dm/@"] {
                #expect(try await anonymous.request(.GET, path).status == 404, "\(path)")
            }

            let (browser, _, _) = try await LegacyBrowser.register(on: f.gateway)
            #expect(try await browser.request(.GET, "/").headers["Location"] == ["/app"])
            #expect(try await browser.request(.GET, "/login").headers["Location"] == ["/app"])
            let app = try await browser.request(.GET, "/app")
            #expect(app.status == 200)
            #expect(app.headers["Content-Type"] == ["text/html; charset=utf-8"])
            #expect(!app.text.contains("data-deeplink"))
            #expect(try await browser.request(.GET, "/dm/007").text.contains(#"data-deeplink="dm:7""#))
            #expect(try await browser.request(.GET, "/dm/@Carol").text.contains(#"data-deeplink="dm:@Carol""#))
        }
    }

    @Test("an app.html that already carries the attributes is served unchanged")
    func appPageCarryingAttributes() async throws {
        try await LegacyFixture.with(environment: ["CPP_API_URL": "https://api.example.test"]) { f in
            let carrying = #"<html><body data-theme="dark" data-cpp-api="/elsewhere"></body></html>"#
            try Data(carrying.utf8).write(to: f.staticDirectory.appendingPathComponent("app.html"))
            let page = try await LegacyBrowser(gateway: f.gateway).request(.GET, "/c/news")
            #expect(page.text == #"<html><body data-theme="dark" data-cpp-api="/elsewhere" data-deeplink="channel:news"></body></html>"#)
            try Data(LegacyFixture.appHTML.utf8).write(to: f.staticDirectory.appendingPathComponent("app.html"))
            let configured = try await LegacyBrowser(gateway: f.gateway).request(.GET, "/c/news")
            #expect(configured.text.contains(#"data-cpp-api="https://api.example.test""#))
        }
    }

    @Test("static files: content types, no-cache, ETag and Last-Modified with 304, Range with 206, no traversal, no CORS")
    func staticFiles() async throws {
        try await LegacyFixture.with { f in
            let browser = LegacyBrowser(gateway: f.gateway)
            let css = try await browser.request(.GET, "/static/style.css", contentType: nil)
            #expect(css.status == 200)
            #expect(css.headers["Content-Type"] == ["text/css; charset=utf-8"])
            #expect(css.headers["Cache-Control"] == ["no-cache"])
            #expect(css.headers["Content-Disposition"] == ["inline; filename=style.css"])
            #expect(css.headers["Access-Control-Allow-Origin"].isEmpty)
            #expect(css.headers["Vary"].isEmpty)
            let etag = try #require(css.headers["ETag"].first)
            let modified = try #require(css.headers["Last-Modified"].first)
            #expect(try await browser.request(.GET, "/static/app.js").headers["Content-Type"] == ["text/javascript; charset=utf-8"])
            #expect(try await browser.request(.GET, "/static/stickers/heart.svg").headers["Content-Type"] == ["image/svg+xml"])

            #expect(try await browser.request(.GET, "/static/style.css", headers: [("If-None-Match", etag)]).status == 304)
            #expect(try await browser.request(.GET, "/static/style.css", headers: [("If-Modified-Since", modified)]).status == 304)
            #expect(try await browser.request(.GET, "/static/style.css", headers: [("If-None-Match", "\"other\"")]).status == 200)

            let range = try await browser.request(.GET, "/static/style.css", headers: [("Range", "bytes=0-3")])
            #expect(range.status == 206)
            #expect(range.text == "body")
            #expect(range.headers["Content-Range"] == ["bytes 0-3/25"])
            let suffix = try await browser.request(.GET, "/static/style.css", headers: [("Range", "bytes=-2")])
            #expect(suffix.text == "}\n")
            #expect(try await browser.request(.GET, "/static/style.css", headers: [("Range", "bytes=100-")]).status == 416)

            for path in ["/static/missing.css", "/static/../login.html", "/static/%2e%2e/login.html", "/static/stickers/%2e%2e/%2e%2e/etc/passwd", "/static/"] {
                #expect(try await browser.request(.GET, path).status == 404, "\(path)")
            }
        }
    }

    @Test("CSRF: a foreign Origin or Referer is refused on state changes; own origin, ALLOWED_ORIGINS and no header pass")
    func crossSiteRequests() async throws {
        try await LegacyFixture.with(environment: ["ALLOWED_ORIGINS": "https://app.example.test"]) { f in
            let (alice, _, _) = try await LegacyBrowser.register(on: f.gateway, username: "alice")
            let (_, bobID, _) = try await LegacyBrowser.register(on: f.gateway, username: "bob")
            let own = "http://127.0.0.1:\(f.gateway.port)"
            for headers in [[("Origin", "https://evil.example")], [("Referer", "https://evil.example/page")], [("Origin", "null")]] {
                let refused = try await alice.request(.POST, "/web-api/chats", json: ["with_user_id": bobID], headers: headers)
                #expect(refused.status == 403, "\(headers)")
                #expect(refused.error == "Cross-site request refused")
            }
            let crossLogout = try await alice.request(.POST, "/web-api/logout", headers: [("Origin", "https://evil.example")])
            #expect(crossLogout.status == 403)
            #expect(try await alice.request(.GET, "/web-api/me").status == 200)
            for headers in [[("Origin", own)], [("Referer", own + "/app")], [("Origin", "https://app.example.test")], []] {
                #expect(try await alice.request(.POST, "/web-api/chats", json: ["with_user_id": bobID], headers: headers).status == 200, "\(headers)")
            }
            // Reads are never refused.
            #expect(try await alice.request(.GET, "/web-api/chats", headers: [("Origin", "https://evil.example")]).status == 200)
        }
    }
}
