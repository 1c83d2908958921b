import Logging
import PostgresNIO

/// The shared infrastructure every core service is built from. The gateway creates one at
/// startup; each API adapter builds the services it needs from it, so a rule lives in one service
/// and both API generations call that same service.
public struct CoreServices: Sendable {
    public let database: PostgresClient
    public let logger: Logger
    public let passwords: PasswordHasher
    public let tokens: TokenService
    public let accountStatus: AccountStatusLookup
    public let rateLimiter: RateLimiter
    public let bus: any MessageBus
    public let objectURLs: any ObjectURLSigning
    public let buckets: BucketSettings
    public let limits: Limits
    /// Where file objects are stored (S3, or the local disk without one).
    public let blobs: any BlobStore

    /// Sizes and lengths that are configuration, not contract.
    public struct Limits: Sendable {
        public var messageMaxLength: Int
        public var maxFileSizeBytes: Int
        /// `WS_AUTH_TIMEOUT_S`: how long a socket may stay unauthenticated.
        public var webSocketAuthTimeoutSeconds: Int
        /// `ALLOWED_UPLOAD_MIME_TYPES`: the types `POST /files` stores (active ones never).
        public var allowedUploadTypes: Set<String>

        public init(
            messageMaxLength: Int = 4096, maxFileSizeBytes: Int = 50 << 20, webSocketAuthTimeoutSeconds: Int = 10,
            allowedUploadTypes: Set<String> = UploadPurpose.defaultAttachmentTypes
        ) {
            self.messageMaxLength = messageMaxLength
            self.maxFileSizeBytes = maxFileSizeBytes
            self.webSocketAuthTimeoutSeconds = webSocketAuthTimeoutSeconds
            self.allowedUploadTypes = allowedUploadTypes
        }
    }

    public init(
        database: PostgresClient, logger: Logger, passwords: PasswordHasher, tokens: TokenService,
        rateLimiter: RateLimiter, bus: any MessageBus, objectURLs: any ObjectURLSigning,
        buckets: BucketSettings, limits: Limits, blobs: any BlobStore
    ) {
        self.database = database
        self.logger = logger
        self.passwords = passwords
        self.tokens = tokens
        self.accountStatus = AccountStatusLookup(database: database, logger: logger)
        self.rateLimiter = rateLimiter
        self.bus = bus
        self.objectURLs = objectURLs
        self.buckets = buckets
        self.limits = limits
        self.blobs = blobs
    }
}
