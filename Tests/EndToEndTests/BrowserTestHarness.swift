import Foundation
import NIOHTTP1
import Testing
import TestSupport

/// What every browser test needs: its own database, the real gateway binary serving the SPA from
/// static/, and a chromedriver whose sessions are independent browsers (one per user).
struct BrowserHarness: Sendable {
    let gateway: GatewayProcess
    let driver: ChromeDriver

    var baseURL: String { gateway.baseURL }

    /// Rate limits off: a test registers and logs in several users from one address quickly.
    /// Files go to the test S3 server, so the browser loads avatars and voice messages from
    /// presigned URLs as in production.
    static func environment() throws -> [String: String] {
        [
            "RATE_LIMIT_ENABLED": "false",
            "S3_ENDPOINT": try TestEnvironment.required("S3_ENDPOINT"),
            "S3_ACCESS_KEY": try TestEnvironment.required("S3_ACCESS_KEY"),
            "S3_SECRET_KEY": try TestEnvironment.required("S3_SECRET_KEY"),
        ]
    }

    /// `seedDemo`: `gateway seed-demo` first (users alice, bob, carol with password `testpass`,
    /// a direct chat of alice and bob, the sticker pack with its images on S3).
    static func with(seedDemo: Bool = false, _ body: @Sendable (BrowserHarness) async throws -> Void) async throws {
        let environment = try environment()
        try await ScratchDatabase.with { database, _ in
            if seedDemo { try await Self.seedDemo(databaseURL: database.url, environment: environment) }
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                try await ChromeDriver.with { driver in
                    try await body(BrowserHarness(gateway: gateway, driver: driver))
                }
            }
        }
    }

    static func seedDemo(databaseURL: String, environment: [String: String]) async throws {
        var variables = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME"].contains($0.key) }
        variables.merge(TestEnvironment.secrets) { $1 }
        variables.merge(environment) { $1 }
        variables["DATABASE_URL"] = databaseURL
        variables["MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
        variables["STATIC_DIR"] = TestEnvironment.repositoryRoot.appendingPathComponent("static").path
        let log = TestEnvironment.repositoryRoot.appendingPathComponent(".build/test-logs/seed-demo-\(UUID().uuidString.prefix(8)).log")
        try await ChildProcess.run(TestEnvironment.executable("gateway").path, ["seed-demo"], environment: variables, logPath: log.path)
    }

    /// A browser that is closed when `body` ends; a failure saves its screen as `<name>-failure`.
    func withBrowser(_ name: String, width: Int = 1280, height: Int = 900, _ body: @Sendable (WebDriverSession) async throws -> Void) async throws {
        let browser = try await driver.newSession(width: width, height: height)
        do {
            try await body(browser)
            await browser.close()
        } catch {
            await browser.saveScreenshot("\(name)-failure")
            let console = await browser.consoleLog()
            await browser.close()
            if !console.isEmpty { Issue.record("browser console of \(name):\n\(console.suffix(30).joined(separator: "\n"))") }
            throw error
        }
    }

    // MARK: accounts

    /// Registers through the legacy API (POST /web-api/register); the browser then signs in.
    func register(_ prefix: String, password: String = "secret-pass-1") async throws -> SPAUser {
        let username = "\(prefix)_\(UUID().uuidString.prefix(6).lowercased())"
        let reply = try await HTTPTestClient.request(
            baseURL + "/web-api/register", method: .POST, headers: [("Content-Type", "application/json")],
            body: HTTPTestClient.json(["username": username, "password": password]))
        guard reply.status == 201 else { throw HarnessError.unexpected("register", reply.status, reply.text) }
        let id = try #require((try reply.object()["id"] as? NSNumber)?.intValue)
        return SPAUser(baseURL: baseURL, id: id, username: username, password: password, cookie: Self.sessionCookie(reply.headers))
    }

    /// Logs an existing user in through the legacy API (POST /web-api/login).
    func login(_ username: String, password: String) async throws -> SPAUser {
        let reply = try await HTTPTestClient.request(
            baseURL + "/web-api/login", method: .POST, headers: [("Content-Type", "application/json")],
            body: HTTPTestClient.json(["username": username, "password": password]))
        guard reply.status == 200 else { throw HarnessError.unexpected("login", reply.status, reply.text) }
        let id = try #require((try reply.object()["id"] as? NSNumber)?.intValue)
        return SPAUser(baseURL: baseURL, id: id, username: username, password: password, cookie: Self.sessionCookie(reply.headers))
    }

    static func sessionCookie(_ headers: HTTPHeaders) -> String? {
        headers["Set-Cookie"].lazy.compactMap { line -> String? in
            let pair = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            return pair.hasPrefix("session=") && pair != "session=" ? pair : nil
        }.first
    }

    /// Signs `user` in through the login page and waits for the app to show their name.
    func signIn(_ browser: WebDriverSession, as user: SPAUser, path: String = "/login") async throws {
        try await browser.navigate(to: baseURL + path)
        try await browser.type(user.username, into: "#username")
        try await browser.type(user.password, into: "#password")
        try await browser.click("#auth-submit")
        try await waitForApp(browser, user: user)
    }

    /// Waits until the app page has loaded the user (its name is in the header).
    func waitForApp(_ browser: WebDriverSession, user: SPAUser) async throws {
        try await browser.waitForScript(
            "the app to show \(user.username)",
            "const b = document.getElementById('me-button'); return b && b.dataset.username === arguments[0];", [user.username])
    }

    /// Waits until the chat with `title` is in the list and returns its id.
    func waitForChat(_ browser: WebDriverSession, titled title: String, timeout: Duration = .seconds(40)) async throws -> Int {
        let id = try await browser.waitForScript(
            "chat \(title) in the list",
            """
            for (const li of document.querySelectorAll('#chat-list li[data-chat-id]')) {
              if (li.querySelector('.chat-title')?.textContent === arguments[0]) return li.dataset.chatId;
            }
            return '';
            """, [title], timeout: timeout)
        return try #require(Int(id))
    }

    /// Waits until the open conversation shows a message whose text is exactly `text`.
    func waitForMessage(_ browser: WebDriverSession, _ text: String, timeout: Duration = .seconds(30)) async throws {
        try await browser.waitForScript(
            "message \(text.prefix(40)) on screen",
            "return [...document.querySelectorAll('#message-list .message-text')].some((p) => p.textContent === arguments[0]);",
            [text], timeout: timeout)
    }

    func send(_ browser: WebDriverSession, _ text: String) async throws {
        let input = try await browser.find("#composer-input")
        try await browser.sendKeys(text, to: input)
        try await browser.sendKeys(WebDriverSession.Key.enter, to: input)
    }

    enum HarnessError: Error, CustomStringConvertible {
        case unexpected(String, Int, String)
        var description: String {
            switch self {
            case .unexpected(let step, let status, let body): "\(step) answered \(status): \(body)"
            }
        }
    }
}

/// A user of the legacy session API, with the cookie from registration for requests made by
/// the test itself (not by the browser).
struct SPAUser: Sendable {
    let baseURL: String
    let id: Int
    let username: String
    let password: String
    let cookie: String?

    /// A legacy API call with this user's session cookie.
    func request(_ method: HTTPMethod, _ path: String, json: [String: Any]? = nil) async throws -> HTTPTestClient.Reply {
        var headers: [(String, String)] = []
        if let cookie { headers.append(("Cookie", cookie)) }
        var body: Data?
        if let json {
            headers.append(("Content-Type", "application/json"))
            body = try HTTPTestClient.json(json)
        }
        return try await HTTPTestClient.request(baseURL + path, method: method, headers: headers, body: body)
    }

    /// POST /web-api/chats: the direct chat with `other`.
    func directChat(with other: SPAUser) async throws -> Int {
        let reply = try await request(.POST, "/web-api/chats", json: ["with_user_id": other.id])
        guard reply.status == 200 else { throw BrowserHarness.HarnessError.unexpected("open chat", reply.status, reply.text) }
        return try #require((try reply.object()["id"] as? NSNumber)?.intValue)
    }

    /// POST /web-api/messages: a text message.
    func send(_ text: String, to chatID: Int) async throws {
        let reply = try await request(.POST, "/web-api/messages", json: ["chat_id": chatID, "type": "text", "content": text])
        guard reply.status == 201 else { throw BrowserHarness.HarnessError.unexpected("send", reply.status, reply.text) }
    }
}
