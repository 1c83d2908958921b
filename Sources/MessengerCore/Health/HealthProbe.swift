import AsyncHTTPClient
import Logging
import NIOCore
import PostgresNIO

/// Checks each dependency with a short deadline, so a dead dependency makes /health/ready answer
/// 503 quickly instead of hanging the probe.
public struct HealthProbe: Sendable {
    let database: PostgresClient
    let redis: RedisClient?
    let objectStoreEndpoint: String?
    let timeout: Duration
    let logger: Logger

    public init(database: PostgresClient, redis: RedisClient?, objectStoreEndpoint: String?, timeout: Duration = .seconds(2), logger: Logger) {
        self.database = database
        self.redis = redis
        self.objectStoreEndpoint = objectStoreEndpoint
        self.timeout = timeout
        self.logger = logger
    }

    public func check() async -> HealthReport {
        let database = self.database
        let logger = self.logger
        async let databaseState = state { try await database.query("SELECT 1", logger: logger) }
        async let redisState = optionalState(redis) { try await $0.ping() }
        async let objectStoreState = optionalState(objectStoreEndpoint) { try await Self.reach($0) }
        return HealthReport(database: await databaseState, redis: await redisState, objectStore: await objectStoreState)
    }

    private func optionalState<Dependency: Sendable>(
        _ dependency: Dependency?, _ check: @escaping @Sendable (Dependency) async throws -> Void
    ) async -> DependencyState {
        guard let dependency else { return .disabled }
        return await state { try await check(dependency) }
    }

    /// Any HTTP answer proves the store is reachable; signed requests are the blob store's business.
    private static func reach(_ endpoint: String) async throws {
        var request = HTTPClientRequest(url: endpoint + "/")
        request.method = .HEAD
        _ = try await HTTPClient.shared.execute(request, timeout: .seconds(2))
    }

    private func state(_ operation: @escaping @Sendable () async throws -> Void) async -> DependencyState {
        await withTaskGroup(of: DependencyState.self) { group in
            group.addTask {
                do {
                    try await operation()
                    return .up
                } catch {
                    return .down
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return .down
            }
            let first = await group.next() ?? .down
            group.cancelAll()
            return first
        }
    }
}
