import Foundation

/// A `chromedriver` for one test, on a free loopback port, driving Debian's headless Chromium.
/// Each `newSession()` is a separate browser with its own profile (cookies, localStorage), so two
/// sessions are two independent users. A missing chromium or chromedriver is an error, never a
/// skip: scripts/browser.sh installs both.
public final class ChromeDriver: Sendable {
    public let port: Int
    let process: ChildProcess
    let logFile: URL

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public struct NotInstalled: Error, CustomStringConvertible {
        public let program: String
        public var description: String {
            "\(program) not found: install Debian's chromium and chromium-driver (scripts/browser.sh install)"
        }
    }

    /// Candidate paths; CHROMEDRIVER / CHROMIUM override them.
    static func locate(_ variable: String, _ candidates: [String]) throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let paths = (environment[variable].map { [$0] } ?? []) + candidates
        guard let found = paths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw NotInstalled(program: candidates.first.map { URL(fileURLWithPath: $0).lastPathComponent } ?? variable)
        }
        return found
    }

    public static var chromiumPath: String {
        get throws { try locate("CHROMIUM", ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) }
    }

    /// Starts chromedriver on a free port. It also binds the port on IPv6, which `freePort` does
    /// not check (another process may hold it there), so a start that exits is retried elsewhere.
    public static func start() async throws -> ChromeDriver {
        var attempt = 1
        while true {
            do {
                return try await startOnce()
            } catch WebDriverError.driverExited(_, let log) where attempt < 5 && log.contains("bind() failed") {
                attempt += 1
            }
        }
    }

    static func startOnce() async throws -> ChromeDriver {
        let executable = try locate("CHROMEDRIVER", ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
        _ = try chromiumPath
        let port = try GatewayProcess.freePort()
        let logDirectory = TestEnvironment.repositoryRoot.appendingPathComponent(".build/test-logs")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let logFile = logDirectory.appendingPathComponent("chromedriver-\(UUID().uuidString.prefix(8)).log")
        let environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG", "TMPDIR"].contains($0.key) }
        let process = try ChildProcess(
            executable, ["--port=\(port)", "--allowed-ips=127.0.0.1", "--log-level=WARNING"],
            environment: environment, logPath: logFile.path)
        let driver = ChromeDriver(port: port, process: process, logFile: logFile)
        try await driver.waitUntilReady()
        return driver
    }

    init(port: Int, process: ChildProcess, logFile: URL) {
        self.port = port
        self.process = process
        self.logFile = logFile
    }

    func waitUntilReady(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = process.terminationStatus {
                throw WebDriverError.driverExited(status: status, log: log)
            }
            if let reply = try? await HTTPTestClient.request("\(baseURL)/status", timeout: .seconds(2)),
               let value = (try? reply.object())?["value"] as? [String: Any], value["ready"] as? Bool == true {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.signal(SIGKILL)
        throw WebDriverError.driverNotReady(log: log)
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// A new headless browser. `width`×`height` is the window (e.g. 390×844 for a phone).
    public func newSession(width: Int = 1280, height: Int = 900) async throws -> WebDriverSession {
        let arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--window-size=\(width),\(height)", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--lang=en-US",
        ]
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": ["binary": try Self.chromiumPath, "args": arguments],
                    "goog:loggingPrefs": ["browser": "ALL"],
                ] as [String: Any],
            ],
        ]
        let value = try await WebDriverSession.command(baseURL: baseURL, method: .POST, path: "/session", body: capabilities)
        guard let object = value as? [String: Any], let id = object["sessionId"] as? String else {
            throw WebDriverError.unexpectedReply("new session: \(String(describing: value))")
        }
        return WebDriverSession(driverURL: baseURL, id: id)
    }

    public func stop() async {
        process.signal(SIGTERM)
        if await process.waitForExit(timeout: .seconds(10)) == nil {
            process.signal(SIGKILL)
            _ = await process.waitForExit(timeout: .seconds(5))
        }
    }

    /// Runs `body` with a started driver and always stops it (and its browsers) afterwards.
    public static func with<Result: Sendable>(_ body: @Sendable (ChromeDriver) async throws -> Result) async throws -> Result {
        let driver = try await start()
        do {
            let result = try await body(driver)
            await driver.stop()
            return result
        } catch {
            await driver.stop()
            throw error
        }
    }
}
