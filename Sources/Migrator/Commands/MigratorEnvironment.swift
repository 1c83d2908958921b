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
    let variables: EnvironmentVariables

    init(databaseURL: String?, variables: [String: String] = ProcessInfo.processInfo.environment) throws {
        let env = EnvironmentVariables(variables)
        self.variables = env
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

    /// api_legacy's object store when it is not the target's: a directory laid out
    /// `<bucket>/<key>`, or an S3 endpoint whose keys are in `SOURCE_S3_*` (never on the command
    /// line), read with the same rules as the gateway's `S3_*`. Nil when neither is given.
    func sourceObjectStore(directory: String?, url: String?) throws -> (any BlobStore)? {
        if let directory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ConfigurationError(variable: "--source-objects-dir", problem: "\(directory) is not a directory")
            }
            return LocalBlobStore(root: URL(fileURLWithPath: directory))
        }
        guard let url else { return nil }
        var renamed = ["S3_ENDPOINT": url]
        for name in ["ACCESS_KEY", "SECRET_KEY", "REGION"] {
            renamed["S3_\(name)"] = variables.string("SOURCE_S3_\(name)")
        }
        do {
            return try ObjectStoreSettings.resolve(from: EnvironmentVariables(renamed)).map { S3BlobStore(settings: $0) }
        } catch let error as ConfigurationError {
            // Name the variables the operator sets, not the gateway's.
            let variable = error.variable == "S3_ENDPOINT" ? "--source-objects-url" : "SOURCE_" + error.variable
            throw ConfigurationError(
                variable: variable, problem: error.problem.replacingOccurrences(of: "S3_ENDPOINT is set", with: "--source-objects-url is given"))
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
