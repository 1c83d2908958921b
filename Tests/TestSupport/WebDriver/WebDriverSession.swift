import Foundation
import NIOHTTP1

/// One browser, driven through the W3C WebDriver protocol (HTTP + JSON to chromedriver).
/// Only the commands the browser tests need: navigation, elements, keys, script, screenshots.
public struct WebDriverSession: Sendable {
    public let driverURL: String
    public let id: String

    /// An element reference (W3C "web element identifier").
    public struct Element: Sendable {
        public let id: String
        static let key = "element-6066-11e4-a52e-4f735466cecf"
    }

    /// WebDriver key codes for `sendKeys`.
    public enum Key {
        public static let enter = "\u{E007}"
        public static let tab = "\u{E004}"
        public static let escape = "\u{E00C}"
    }

    // MARK: transport

    static func command(baseURL: String, method: HTTPMethod, path: String, body: [String: Any]? = nil) async throws -> Any? {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? (method == .POST ? Data("{}".utf8) : nil)
        let reply = try await HTTPTestClient.request(
            baseURL + path, method: method, headers: [("Content-Type", "application/json")], body: payload, timeout: .seconds(60))
        let object = (try? reply.object()) ?? [:]
        let value = object["value"]
        guard reply.status == 200 else {
            let details = value as? [String: Any]
            throw WebDriverError.command(
                "\(method) \(path)", error: details?["error"] as? String ?? "HTTP \(reply.status)",
                message: details?["message"] as? String ?? reply.text)
        }
        return value is NSNull ? nil : value
    }

    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.command(baseURL: driverURL, method: method, path: "/session/\(id)\(path)", body: body)
    }

    // MARK: navigation

    public func navigate(to url: String) async throws {
        try await send(.POST, "/url", ["url": url])
    }

    public func currentURL() async throws -> String {
        try await send(.GET, "/url") as? String ?? ""
    }

    public func refresh() async throws {
        try await send(.POST, "/refresh")
    }

    public func close() async {
        _ = try? await Self.command(baseURL: driverURL, method: .DELETE, path: "/session/\(id)")
    }

    // MARK: elements

    public func find(_ css: String) async throws -> Element {
        let value = try await send(.POST, "/element", ["using": "css selector", "value": css])
        return try Self.element(from: value)
    }

    public func findAll(_ css: String) async throws -> [Element] {
        let value = try await send(.POST, "/elements", ["using": "css selector", "value": css]) as? [Any] ?? []
        return try value.map(Self.element(from:))
    }

    static func element(from value: Any?) throws -> Element {
        guard let object = value as? [String: Any], let id = object[Element.key] as? String else {
            throw WebDriverError.unexpectedReply("element: \(String(describing: value))")
        }
        return Element(id: id)
    }

    public func click(_ element: Element) async throws {
        try await send(.POST, "/element/\(element.id)/click")
    }

    public func click(_ css: String) async throws {
        try await click(try await find(css))
    }

    public func clear(_ element: Element) async throws {
        try await send(.POST, "/element/\(element.id)/clear")
    }

    public func sendKeys(_ text: String, to element: Element) async throws {
        try await send(.POST, "/element/\(element.id)/value", ["text": text])
    }

    public func type(_ text: String, into css: String) async throws {
        let element = try await find(css)
        try await clear(element)
        try await sendKeys(text, to: element)
    }

    public func text(of element: Element) async throws -> String {
        try await send(.GET, "/element/\(element.id)/text") as? String ?? ""
    }

    public func text(_ css: String) async throws -> String {
        try await text(of: try await find(css))
    }

    public func attribute(_ name: String, of element: Element) async throws -> String? {
        try await send(.GET, "/element/\(element.id)/attribute/\(name)") as? String
    }

    // MARK: script, keys, screenshots, logs

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its JSON result.
    @discardableResult
    public func execute(_ script: String, _ args: [String] = []) async throws -> Any? {
        try await send(.POST, "/execute/sync", ["script": script, "args": args])
    }

    /// Keys sent to whatever has focus (W3C actions), e.g. Tab for keyboard navigation.
    public func pressKeys(_ keys: String) async throws {
        var actions: [[String: Any]] = []
        for key in keys.unicodeScalars.map({ String($0) }) {
            actions.append(["type": "keyDown", "value": key])
            actions.append(["type": "keyUp", "value": key])
        }
        try await send(.POST, "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
        try await send(.DELETE, "/actions")
    }

    public func screenshot() async throws -> Data {
        guard let base64 = try await send(.GET, "/screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw WebDriverError.unexpectedReply("screenshot")
        }
        return data
    }

    /// Saves a PNG under .build/test-artifacts/ (kept out of git) and returns its path.
    @discardableResult
    public func saveScreenshot(_ name: String) async -> String? {
        let directory = TestEnvironment.repositoryRoot.appendingPathComponent(".build/test-artifacts")
        let safeName = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })
        let file = directory.appendingPathComponent("\(safeName).png")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try await screenshot().write(to: file)
            return file.path
        } catch {
            return nil
        }
    }

    /// The browser console since the last call (chromedriver's log extension), for failure reports.
    public func consoleLog() async -> [String] {
        guard let entries = try? await send(.POST, "/se/log", ["type": "browser"]) as? [[String: Any]] else { return [] }
        return entries.map { "\($0["level"] ?? "?"): \($0["message"] ?? "")" }
    }

    // MARK: waiting

    /// Polls `condition` until it gives a value. The deadline only stops a hung test; the tests
    /// assert on what they wait for, never on how long it took.
    public func waitFor<T: Sendable>(
        _ description: String, timeout: Duration = .seconds(30),
        _ condition: @Sendable () async throws -> T?
    ) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        var lastError: (any Error)?
        while ContinuousClock.now < deadline {
            do {
                if let value = try await condition() { return value }
            } catch {
                lastError = error
            }
            try await Task.sleep(for: .milliseconds(150))
        }
        let console = await consoleLog().suffix(20).joined(separator: "\n")
        throw WebDriverError.timedOut("\(description)\(lastError.map { " (last error: \($0))" } ?? "")\nbrowser console:\n\(console)")
    }

    /// Waits until an element matching `css` exists and returns it.
    public func waitForElement(_ css: String, timeout: Duration = .seconds(30)) async throws -> Element {
        try await waitFor("element \(css)", timeout: timeout) { try? await find(css) }
    }

    /// Clicks the element matching `css` once it exists, finding it again if the page replaced it
    /// in between (re-rendered lists make element references stale).
    public func clickWhenReady(_ css: String, timeout: Duration = .seconds(30)) async throws {
        _ = try await waitFor("a clickable \(css)", timeout: timeout) { () async throws -> Bool? in
            try await click(css)
            return true
        }
    }

    /// Waits until `script` (a function body) returns a truthy value, and returns that value.
    @discardableResult
    public func waitForScript(_ description: String, _ script: String, _ args: [String] = [], timeout: Duration = .seconds(30)) async throws -> String {
        try await waitFor(description, timeout: timeout) {
            let value = try await execute(script, args)
            switch value {
            case let text as String where !text.isEmpty: return text
            case let flag as Bool where flag: return "true"
            case let number as NSNumber where number.boolValue: return number.stringValue
            default: return nil
            }
        }
    }
}
