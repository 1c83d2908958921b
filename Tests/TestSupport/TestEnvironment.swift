import Foundation
import MessengerCore

/// The real services the tests use, as `make test` (scripts/test.sh) exports them. A missing
/// service is an error, never a skip: the tests are meaningless without the real parts.
public enum TestEnvironment {
    public struct MissingService: Error, CustomStringConvertible {
        public let variable: String
        public var description: String {
            "\(variable) is not set: run the tests through `make test`, which starts PostgreSQL, Redis and the S3 server"
        }
    }

    static var variables: [String: String] { ProcessInfo.processInfo.environment }

    public static func required(_ name: String) throws -> String {
        guard let value = variables[name], !value.isEmpty else { throw MissingService(variable: name) }
        return value
    }

    public static func databaseSettings() throws -> DatabaseSettings {
        try DatabaseSettings.parse(url: required("DATABASE_URL"))
    }

    public static func redisURL() throws -> String {
        try required("REDIS_URL")
    }

    public static var repositoryRoot: URL {
        if let root = variables["MESSENGER_REPO_ROOT"], !root.isEmpty {
            return URL(fileURLWithPath: root)
        }
        // Tests/TestSupport/TestEnvironment.swift -> repository root.
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    public static var migrationsDirectory: URL {
        repositoryRoot.appendingPathComponent("migrations")
    }

    public static func executable(_ name: String) -> URL {
        repositoryRoot.appendingPathComponent(".build/debug/\(name)")
    }

    /// Secrets that satisfy the production policy, for gateways started by tests.
    public static let secrets: [String: String] = [
        "SECRET_KEY": "test-legacy-session-key-0123456789abcdef",
        "JWT_SECRET": "test-jwt-secret-0123456789abcdef-0123456789",
        "REFRESH_TOKEN_HASH_KEY": "test-refresh-hash-key-0123456789abcdef-0123",
    ]
}
