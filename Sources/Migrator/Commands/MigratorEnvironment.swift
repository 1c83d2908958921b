import Foundation
import Logging
import MessengerCore
import PostgresNIO

/// The target as the gateway would see it: DATABASE_URL (or DB_*), the S3_*/MINIO_* object store
/// or BLOB_DIR, and the bucket names, read with the gateway's own configuration rules.
struct MigratorEnvironment {
    let database: DatabaseSettings
    let blobs: any BlobStore
    let buckets: BucketSettings

    init(databaseURL: String?, variables: [String: String] = ProcessInfo.processInfo.environment) throws {
        let env = EnvironmentVariables(variables)
        let deployment: DeploymentEnvironment = env.string("ENVIRONMENT")?.lowercased() == "development" ? .development : .production
        var database = try databaseURL.map { try DatabaseSettings.parse(url: $0) }
            ?? DatabaseSettings.resolve(from: env, environment: deployment)
        database.poolSize = 4
        self.database = database
        self.buckets = try BucketSettings.resolve(from: env)
        if let store = try ObjectStoreSettings.resolve(from: env) {
            blobs = S3BlobStore(settings: store)
        } else {
            blobs = LocalBlobStore(root: URL(fileURLWithPath: env.string("BLOB_DIR") ?? ".data/blobs"))
        }
    }

    /// The PostgreSQL error's own message (postgres-nio hides it from `description`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            return "database error: \(error.serverInfo?[.message] ?? String(reflecting: error))"
        }
        if let error = error as? MigrationRun.RunFailure { return describe(error.underlying) }
        return "\(error)"
    }
}
