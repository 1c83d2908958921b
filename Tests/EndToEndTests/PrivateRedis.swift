import Foundation
import MessengerCore
import Synchronization
import TestSupport

/// A redis-server of one test's own, on a free loopback port, for tests that stop and restart
/// Redis: the shared one of scripts/services.sh serves tests running in parallel.
final class PrivateRedis: Sendable {
    let port: Int
    private let process: Mutex<ChildProcess?>
    private let logPath: String

    var url: String { "redis://127.0.0.1:\(port)" }

    private init(port: Int, logPath: String) {
        self.port = port
        self.logPath = logPath
        self.process = Mutex(nil)
    }

    /// Runs `body` with a started server and always stops it.
    static func with<Result: Sendable>(_ body: @Sendable (PrivateRedis) async throws -> Result) async throws -> Result {
        let logDirectory = TestEnvironment.repositoryRoot.appendingPathComponent(".build/test-logs")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let redis = PrivateRedis(
            port: try GatewayProcess.freePort(),
            logPath: logDirectory.appendingPathComponent("redis-\(UUID().uuidString.prefix(8)).log").path)
        try await redis.start()
        do {
            let result = try await body(redis)
            await redis.stop()
            return result
        } catch {
            await redis.stop()
            throw error
        }
    }

    func start() async throws {
        let child = try ChildProcess(
            Self.executable, ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no"],
            environment: ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"], logPath: logPath)
        process.withLock { $0 = child }
        let client = RedisClient(settings: RedisSettings(host: "127.0.0.1", port: port), connections: 1)
        var ready = false
        for _ in 0..<200 where !ready {
            ready = (try? await client.ping()) != nil
            if !ready { try? await Task.sleep(for: .milliseconds(50)) }
        }
        await client.shutdown()
        guard ready else { throw Failure.notReady(port) }
    }

    func stop() async {
        guard let child = process.withLock({ current in defer { current = nil }; return current }) else { return }
        child.signal(SIGTERM)
        if await child.waitForExit(timeout: .seconds(10)) == nil {
            child.signal(SIGKILL)
            _ = await child.waitForExit(timeout: .seconds(5))
        }
    }

    static var executable: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/redis-server") {
            return "\(directory)/redis-server"
        }
        return "/usr/bin/redis-server"
    }

    enum Failure: Error {
        case notReady(Int)
    }
}
