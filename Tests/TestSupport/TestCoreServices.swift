import Crypto
import Foundation
import Logging
import MessengerCore
import PostgresNIO

/// Core services over a scratch database, as the gateway wires them but with rate limits off and
/// the local blob URL signer, for tests that call the core directly.
public enum TestCoreServices {
    public static func with<Result: Sendable>(
        _ body: @Sendable (CoreServices, PostgresClient) async throws -> Result
    ) async throws -> Result {
        try await ScratchDatabase.with { _, client in
            let blobDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: blobDirectory) }
            let pool = KeyDerivationPool(numberOfThreads: 2)
            let tokens = await TokenService(
                jwtSecret: TestEnvironment.secrets["JWT_SECRET"] ?? "",
                refreshTokenHashKey: TestEnvironment.secrets["REFRESH_TOKEN_HASH_KEY"] ?? "",
                accessTTL: 3600, refreshTTL: 604_800)
            let core = CoreServices(
                database: client, logger: Logger(label: "tests"), passwords: PasswordHasher(pool: pool), tokens: tokens,
                rateLimiter: RateLimiter(enabled: false, redis: nil), bus: InProcessMessageBus(),
                objectURLs: LocalBlobURLSigner(secret: SymmetricKey(size: .bits256), lifetimeSeconds: 900),
                buckets: .defaults, limits: .init(), blobs: LocalBlobStore(root: blobDirectory))
            do {
                let result = try await body(core, client)
                try await pool.shutdown()
                return result
            } catch {
                try? await pool.shutdown()
                throw error
            }
        }
    }
}
