import Foundation

/// S3-compatible storage (`S3_*`, or api_cpp's `MINIO_*`), or nil for the local-disk blob store.
public struct ObjectStoreSettings: Sendable, Equatable {
    /// `http(s)://host:port`, no trailing slash.
    public var endpoint: String
    public var accessKey: String
    public var secretKey: String
    public var region: String

    public init(endpoint: String, accessKey: String, secretKey: String, region: String = "us-east-1") {
        self.endpoint = endpoint
        self.accessKey = accessKey
        self.secretKey = secretKey
        self.region = region
    }

    /// `host:port` of the endpoint: what presigned URLs are signed for (jwt-api.md §1.9).
    public var hostAndPort: String {
        var rest = Substring(endpoint)
        if let range = rest.range(of: "://") { rest = rest[range.upperBound...] }
        return String(rest)
    }

    public static func resolve(from env: EnvironmentVariables) throws -> ObjectStoreSettings? {
        let endpoint: String
        if let url = env.string("S3_ENDPOINT") {
            guard let components = URLComponents(string: url), let scheme = components.scheme,
                  scheme == "http" || scheme == "https", components.host != nil
            else {
                throw ConfigurationError(variable: "S3_ENDPOINT", problem: "must be a URL like http://host:port")
            }
            endpoint = url.hasSuffix("/") ? String(url.dropLast()) : url
        } else if let hostPort = env.string("MINIO_ENDPOINT") {
            // api_cpp documented host:port; accept a scheme too (jwt-api.md §9.1).
            if hostPort.contains("://") {
                endpoint = hostPort
            } else {
                let useTLS = try env.boolean("MINIO_USE_SSL", default: false)
                endpoint = (useTLS ? "https://" : "http://") + hostPort
            }
        } else {
            return nil
        }
        guard let access = env.string(anyOf: ["S3_ACCESS_KEY", "MINIO_ACCESS_KEY"]) else {
            throw ConfigurationError(variable: "S3_ACCESS_KEY", problem: "is required when S3_ENDPOINT is set")
        }
        guard let secret = env.string(anyOf: ["S3_SECRET_KEY", "MINIO_SECRET_KEY"]) else {
            throw ConfigurationError(variable: "S3_SECRET_KEY", problem: "is required when S3_ENDPOINT is set")
        }
        return ObjectStoreSettings(
            endpoint: endpoint, accessKey: access.value, secretKey: secret.value,
            region: env.string(anyOf: ["S3_REGION", "MINIO_REGION"])?.value ?? "us-east-1")
    }
}

/// Bucket names and URL settings shared by both API generations (legacy-api.md §11, jwt-api.md §9).
public struct BucketSettings: Sendable, Equatable {
    /// `MINIO_BUCKET`: read for compatibility; the API stores nothing there (jwt-api.md §9).
    public var legacyBucket: String
    public var avatars: String
    public var uploads: String
    public var stickers: String
    /// Replaces `http://<endpoint>` in presigned URLs when set.
    public var publicURL: String?
    public var presignTTLSeconds: Int

    /// The buckets and URL settings of an environment that sets none of the variables.
    public static var defaults: BucketSettings {
        // An empty environment cannot fail to parse.
        (try? resolve(from: EnvironmentVariables([:]))) ?? BucketSettings(
            legacyBucket: "messenger-files", avatars: "bh-avatars", uploads: "bh-uploads", stickers: "bh-stickers",
            publicURL: nil, presignTTLSeconds: 900)
    }

    public static func resolve(from env: EnvironmentVariables) throws -> BucketSettings {
        BucketSettings(
            legacyBucket: env.string("MINIO_BUCKET") ?? "messenger-files",
            avatars: env.string("MINIO_AVATARS_BUCKET") ?? "bh-avatars",
            uploads: env.string("MINIO_UPLOADS_BUCKET") ?? "bh-uploads",
            stickers: env.string("MINIO_STICKERS_BUCKET") ?? "bh-stickers",
            publicURL: env.string("MINIO_PUBLIC_URL"),
            presignTTLSeconds: try env.integer("MINIO_PRESIGN_TTL", default: 900, range: 1...604_800))
    }
}
