import Foundation

public enum DeploymentEnvironment: String, Sendable {
    case production
    case development
}

/// Everything the gateway reads from its environment (design.md "Configuration"). Both the
/// api_legacy and the api_cpp variable families are accepted, so an existing `.env` works unchanged.
public struct GatewayConfiguration: Sendable {
    public var environment: DeploymentEnvironment
    public var host: String
    public var port: Int
    public var database: DatabaseSettings
    public var redis: RedisSettings?
    public var objectStore: ObjectStoreSettings?
    public var buckets: BucketSettings
    public var secrets: Secrets
    public var accessTokenTTL: Int
    public var refreshTokenTTL: Int
    public var staticDirectory: String
    public var blobDirectory: String
    public var maxFileSizeMB: Int
    /// `ALLOWED_UPLOAD_MIME_TYPES` (jwt-api.md §9.2): what `POST /files` accepts.
    public var allowedUploadMimeTypes: Set<String>
    public var messageMaxLength: Int
    public var webSocketAuthTimeoutSeconds: Int
    public var metricsToken: String?
    public var metricsPort: Int?
    public var rateLimitEnabled: Bool
    public var allowedOrigins: [String]
    /// `CPP_API_URL`: the JWT API's base URL as browsers see it (the app page's `data-cpp-api`);
    /// nil means the gateway's own origin.
    public var cppAPIURL: String?
    /// Things an operator should know that are not errors (e.g. generated development secrets).
    public var warnings: [String]

    public struct Secrets: Sendable {
        /// api_legacy's Flask `SECRET_KEY`: signs and verifies legacy session cookies.
        public var legacySessionKey: String
        public var jwtSecret: String
        public var refreshTokenHashKey: String
    }

    public init(environment variables: [String: String]) throws {
        let env = EnvironmentVariables(variables)
        var warnings: [String] = []
        let environment: DeploymentEnvironment = env.string("ENVIRONMENT")?.lowercased() == "development" ? .development : .production
        self.environment = environment
        self.host = env.string("HOST") ?? "127.0.0.1"
        self.port = try env.integer(anyOf: ["PORT", "API_PORT"], default: 8080, range: 0...65535)
        self.database = try DatabaseSettings.resolve(from: env, environment: environment)
        self.redis = try RedisSettings.resolve(from: env)
        self.objectStore = try ObjectStoreSettings.resolve(from: env)
        self.buckets = try BucketSettings.resolve(from: env)
        self.secrets = Secrets(
            legacySessionKey: try Self.secret("SECRET_KEY", env, environment, &warnings),
            jwtSecret: try Self.secret("JWT_SECRET", env, environment, &warnings),
            refreshTokenHashKey: try Self.secret("REFRESH_TOKEN_HASH_KEY", env, environment, &warnings))
        self.accessTokenTTL = try env.integer("JWT_ACCESS_TTL", default: 3600, range: 60...86_400 * 7)
        self.refreshTokenTTL = try env.integer("JWT_REFRESH_TTL", default: 604_800, range: 300...86_400 * 365)
        self.staticDirectory = env.string("STATIC_DIR") ?? "./static"
        self.blobDirectory = env.string("BLOB_DIR") ?? ".data/blobs"
        self.maxFileSizeMB = try env.integer("MAX_FILE_SIZE_MB", default: 50, range: 1...4096)
        let uploadTypes = env.list("ALLOWED_UPLOAD_MIME_TYPES").map { $0.lowercased() }
        self.allowedUploadMimeTypes = uploadTypes.isEmpty ? UploadPurpose.defaultAttachmentTypes : Set(uploadTypes)
        self.messageMaxLength = try env.integer("MESSAGE_MAX_LENGTH", default: 4096, range: 1...1_000_000)
        self.webSocketAuthTimeoutSeconds = try env.integer("WS_AUTH_TIMEOUT_S", default: 10, range: 1...600)
        self.metricsToken = env.string("METRICS_TOKEN")
        self.metricsPort = env.string("METRICS_PORT") == nil ? nil : try env.integer("METRICS_PORT", default: 0, range: 1...65535)
        self.rateLimitEnabled = try env.boolean("RATE_LIMIT_ENABLED", default: true)
        self.allowedOrigins = env.list("ALLOWED_ORIGINS")
        self.cppAPIURL = env.string("CPP_API_URL")
        if let token = metricsToken, environment == .production, let problem = SecretPolicy.problem(with: token) {
            throw ConfigurationError(variable: "METRICS_TOKEN", problem: problem)
        }
        self.warnings = warnings
    }

    /// A production secret must be present and strong. In development a missing one is replaced by a
    /// random per-process value (sessions then end with the process), and a published default of
    /// sufficient length is only a warning.
    private static func secret(
        _ name: String, _ env: EnvironmentVariables, _ environment: DeploymentEnvironment, _ warnings: inout [String]
    ) throws -> String {
        guard let value = env.string(name) else {
            guard environment == .development else {
                throw ConfigurationError(variable: name, problem: "is required in production (at least \(SecretPolicy.minimumByteCount) random bytes)")
            }
            warnings.append("\(name) is not set; using a random value for this process only")
            return randomSecret()
        }
        if let problem = SecretPolicy.problem(with: value) {
            // Short keys stay fatal in development too: the HMAC signer refuses keys under 32 bytes.
            guard environment == .development, value.utf8.count >= SecretPolicy.minimumByteCount else {
                throw ConfigurationError(variable: name, problem: problem)
            }
            warnings.append("\(name) \(problem) (accepted only because ENVIRONMENT=development)")
        }
        return value
    }

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
