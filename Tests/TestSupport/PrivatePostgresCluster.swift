import Foundation

/// A PostgreSQL cluster of one test's own, started through scripts/services.sh in a separate
/// directory and port, for tests that stop and restart the database (the shared cluster must stay
/// up for every other test running in parallel).
public struct PrivatePostgresCluster: Sendable {
    public let port: Int
    public let directory: String

    public var databaseURL: String { "postgres://messenger:messenger@127.0.0.1:\(port)/messenger" }

    public static func start() async throws -> PrivatePostgresCluster {
        let cluster = PrivatePostgresCluster(
            port: try GatewayProcess.freePort(),
            directory: "/tmp/messenger-test-pg-\(UUID().uuidString.prefix(8).lowercased())")
        try await cluster.run("start-postgres")
        return cluster
    }

    public func stop() async throws { try await run("stop-postgres") }
    public func restart() async throws { try await run("start-postgres") }

    public func destroy() async {
        try? await stop()
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.removeItem(atPath: directory + ".log")
    }

    func run(_ command: String) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["MESSENGER_SERVICES_DIR"] = directory
        environment["MESSENGER_PG_PORT"] = String(port)
        try await ChildProcess.run(
            TestEnvironment.repositoryRoot.appendingPathComponent("scripts/services.sh").path, [command],
            environment: environment, logPath: directory + ".log")
    }
}
