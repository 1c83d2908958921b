import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The real `gateway` binary, started for one test on a free loopback port and stopped with
/// SIGTERM afterwards. Its log goes to a file under .build/test-logs and is shown if it fails.
public final class GatewayProcess: Sendable {
    public let logFile: URL
    let process: ChildProcess
    private let mainPort = Mutex(0)

    /// The main listener's port, chosen by the kernel (PORT=0) and read from the gateway's log.
    public var port: Int { mainPort.withLock { $0 } }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `gateway <arguments>` with the test services, the test secrets and `environment`
    /// (which wins), and waits until /health answers.
    public static func start(
        databaseURL: String,
        environment: [String: String] = [:],
        arguments: [String] = ["serve"]
    ) async throws -> GatewayProcess {
        var variables = ProcessInfo.processInfo.environment.filter { key, _ in
            ["PATH", "HOME", "LANG"].contains(key)
        }
        variables.merge(TestEnvironment.secrets) { $1 }
        variables["DATABASE_URL"] = databaseURL
        variables["HOST"] = "127.0.0.1"
        variables["PORT"] = "0"
        variables["MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
        variables["STATIC_DIR"] = TestEnvironment.repositoryRoot.appendingPathComponent("static").path
        variables["LOG_LEVEL"] = "debug"
        // Dozens of gateways run at once in the suite; small pools keep them within the cluster's
        // connection limit.
        variables["DB_POOL_SIZE"] = "4"
        variables.merge(environment) { $1 }

        let logDirectory = TestEnvironment.repositoryRoot.appendingPathComponent(".build/test-logs")
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let logFile = logDirectory.appendingPathComponent("gateway-\(UUID().uuidString.prefix(8)).log")
        let process = try ChildProcess(
            TestEnvironment.executable("gateway").path, arguments, environment: variables, logPath: logFile.path)
        let gateway = GatewayProcess(process: process, logFile: logFile)
        try await gateway.waitUntilHealthy()
        return gateway
    }

    init(process: ChildProcess, logFile: URL) {
        self.process = process
        self.logFile = logFile
    }

    public var isRunning: Bool { process.isRunning }

    public var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    func waitUntilHealthy(timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        var lastProblem = "no attempt"
        while ContinuousClock.now < deadline {
            if let status = process.terminationStatus {
                throw GatewayProcessError.exited(status: status, log: log)
            }
            // The main listener is the one serving /health (a METRICS_PORT listener does not).
            for port in Self.listeningPorts(in: log) {
                do {
                    let response = try await HTTPTestClient.request("http://127.0.0.1:\(port)/health", timeout: .seconds(5))
                    if response.status == 200 {
                        mainPort.withLock { $0 = port }
                        return
                    }
                    lastProblem = "status \(response.status) on \(port)"
                } catch {
                    lastProblem = "\(error)"
                }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        await stopNow()
        throw GatewayProcessError.notHealthy(log: "last attempt: \(lastProblem)\n" + log)
    }

    /// Ports from Hummingbird's "Server started and listening on 127.0.0.1:PORT" lines.
    static func listeningPorts(in log: String) -> [Int] {
        log.split(separator: "\n").compactMap { line in
            guard let range = line.range(of: "listening on 127.0.0.1:") else { return nil }
            return Int(line[range.upperBound...].prefix(while: \.isNumber))
        }
    }

    /// SIGTERM, then waits for the exit (SIGKILL after `timeout`); returns the exit status.
    @discardableResult
    public func stop(timeout: Duration = .seconds(20)) async -> Int32 {
        process.signal(SIGTERM)
        if let status = await process.waitForExit(timeout: timeout) { return status }
        return await stopNow()
    }

    @discardableResult
    func stopNow() async -> Int32 {
        process.signal(SIGKILL)
        return await process.waitForExit(timeout: .seconds(10)) ?? -1
    }

    /// Runs `body` against a started gateway and always stops it.
    public static func with<Result: Sendable>(
        databaseURL: String,
        environment: [String: String] = [:],
        _ body: @Sendable (GatewayProcess) async throws -> Result
    ) async throws -> Result {
        let gateway = try await start(databaseURL: databaseURL, environment: environment)
        do {
            let result = try await body(gateway)
            await gateway.stop()
            return result
        } catch {
            await gateway.stop()
            throw error
        }
    }

    /// A loopback port for a test server. Ports come from a per-process sequence below Linux's
    /// ephemeral range (32768+), so they never collide with one the kernel hands out for bind(0)
    /// or for an outgoing connection, nor with another test of this process.
    public static func freePort() throws -> Int {
        while true {
            let candidate = nextPort.withLock { port in
                port = port >= 32000 ? 20000 : port + 1
                return port
            }
            if let channel = try? ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: candidate).wait() {
                try channel.close().wait()
                return candidate
            }
        }
    }

    private static let nextPort = Mutex(20000 + Int(getpid() % 400) * 30)
}

public enum GatewayProcessError: Error, CustomStringConvertible {
    case exited(status: Int32, log: String)
    case notHealthy(log: String)

    public var description: String {
        switch self {
        case .exited(let status, let log): "gateway exited with status \(status):\n\(log.suffix(4000))"
        case .notHealthy(let log): "gateway did not become healthy:\n\(log.suffix(4000))"
        }
    }
}
