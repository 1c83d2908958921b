import Crypto
import Foundation
import Hummingbird
import LegacyCompat
import Logging
import MessengerCore
import NewAPI
import PostgresNIO
import ServiceLifecycle

/// The composition root: reads nothing itself, builds every service and controller from the
/// configuration, and returns the application with its long-running services attached.
enum GatewayApplication {
    static func build(
        configuration: GatewayConfiguration,
        migrations: [SchemaMigration],
        logger: Logger
    ) async throws -> some ApplicationProtocol {
        var databaseSettings = configuration.database
        databaseSettings.applicationName = DatabasePoolSampler.uniqueApplicationName()
        let database = PostgresClient(settings: databaseSettings, logger: logger)
        let redis = configuration.redis.map { RedisClient(settings: $0) }
        // With Redis, events cross nodes; without it, this single node uses an in-process bus.
        let redisBus = try redis.map { try RedisMessageBus(publisher: $0, logger: logger) }
        let metrics = GatewayMetrics.shared
        // The WebSocket layer's families are exported from the start (at 0), not from their first event.
        _ = RealtimeMetrics.shared
        let keyDerivation = KeyDerivationPool()
        let core = CoreServices(
            database: database,
            logger: logger,
            passwords: PasswordHasher(pool: keyDerivation),
            tokens: await TokenService(
                jwtSecret: configuration.secrets.jwtSecret,
                refreshTokenHashKey: configuration.secrets.refreshTokenHashKey,
                accessTTL: configuration.accessTokenTTL, refreshTTL: configuration.refreshTokenTTL),
            rateLimiter: RateLimiter(enabled: configuration.rateLimitEnabled, redis: redis),
            bus: redisBus ?? InProcessMessageBus(),
            objectURLs: objectURLSigner(configuration),
            buckets: configuration.buckets,
            limits: .init(
                messageMaxLength: configuration.messageMaxLength, maxFileSizeBytes: configuration.maxFileSizeMB << 20,
                webSocketAuthTimeoutSeconds: configuration.webSocketAuthTimeoutSeconds,
                allowedUploadTypes: configuration.allowedUploadMimeTypes),
            blobs: blobStore(configuration),
            presenceStore: redis.map { RedisPresenceStore(client: $0) as any PresenceStore } ?? InProcessPresenceStore())

        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        // Middlewares wrap routes as they are added, so they come first. Outermost first:
        // metrics see the final status, CORS headers land on error responses too.
        router.middlewares.add(RequestIDMiddleware())
        router.middlewares.add(RequestMetricsMiddleware(metrics: metrics))
        router.middlewares.add(CrossOriginMiddleware(appliesTo: { !LegacyCompatRoutes.owns(path: $0) }))
        router.middlewares.add(ErrorResponseMiddleware())

        let probe = HealthProbe(
            database: database, redis: redis, objectStoreEndpoint: configuration.objectStore?.endpoint, logger: logger)
        HealthController(probe: probe).addRoutes(to: router)
        NewAPIRoutes.register(on: router, core: core)
        LegacyCompatRoutes.register(
            on: router, core: core,
            settings: LegacySettings(
                sessionSecret: configuration.secrets.legacySessionKey, allowedOrigins: configuration.allowedOrigins,
                staticDirectory: configuration.staticDirectory, cppAPIURL: configuration.cppAPIURL))
        if configuration.objectStore == nil, let store = core.blobs as? LocalBlobStore {
            LocalBlobController(signer: localBlobURLSigner(configuration), store: store, files: FileService(core: core))
                .addRoutes(to: router)
        }
        var services: [any Service] = [
            database, MessagePartitionMaintenance.service(client: database, logger: logger),
            KeyDerivationLifecycle(pool: keyDerivation),
            PeriodicMaintenance(name: "refresh token purge", interval: .seconds(6 * 3600), logger: logger) {
                let purged = try await AccountService(core: core).purgeRetiredRefreshTokens()
                if purged > 0 {
                    logger.info("purged retired refresh tokens", metadata: ["count": "\(purged)"])
                }
            },
            DatabasePoolSampler(
                client: database, applicationName: databaseSettings.applicationName, poolSize: databaseSettings.poolSize,
                metrics: metrics, logger: logger),
        ]
        if let redis {
            services.append(RedisLifecycle(client: redis))
        }
        if let redisBus {
            services.append(redisBus)
        }
        services.append(core.presence)
        if let metricsPort = configuration.metricsPort {
            services.append(metricsApplication(port: metricsPort, metrics: metrics, logger: logger))
        } else {
            MetricsController(metrics: metrics, token: configuration.metricsToken).addRoutes(to: router)
        }
        MethodNotAllowedRoutes.add(to: router)

        var app = Application(
            router: router,
            server: .http1WebSocket(WebSocketController(core: core)),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: services,
            logger: logger)
        app.beforeServerStarts {
            let applied = try await SchemaMigrationRunner(client: database, migrations: migrations, logger: logger).migrate()
            if !applied.isEmpty {
                logger.info("schema migrations applied", metadata: ["versions": "\(applied)"])
            }
            _ = try await MessagePartitionMaintenance.ensureUpcomingPartitions(client: database, logger: logger)
        }
        return app
    }

    /// Presigned S3 URLs when an object store is configured, else the gateway's own signed URLs for
    /// the local-disk store (keyed from the JWT secret, so every node signs alike).
    static func objectURLSigner(_ configuration: GatewayConfiguration) -> any ObjectURLSigning {
        if let store = configuration.objectStore {
            return ObjectURLPresigner(store: store, buckets: configuration.buckets)
        }
        return localBlobURLSigner(configuration)
    }

    /// The local store's URL signer, keyed from the JWT secret so every node signs alike.
    static func localBlobURLSigner(_ configuration: GatewayConfiguration) -> LocalBlobURLSigner {
        let key = HMAC<SHA256>.authenticationCode(
            for: Data("local-blob-urls".utf8), using: SymmetricKey(data: Data(configuration.secrets.jwtSecret.utf8)))
        return LocalBlobURLSigner(secret: SymmetricKey(data: Data(key)), lifetimeSeconds: configuration.buckets.presignTTLSeconds)
    }

    /// The S3 store when an endpoint is configured, else files under BLOB_DIR.
    static func blobStore(_ configuration: GatewayConfiguration) -> any BlobStore {
        if let store = configuration.objectStore {
            return S3BlobStore(settings: store)
        }
        return LocalBlobStore(root: URL(fileURLWithPath: configuration.blobDirectory))
    }

    /// /metrics alone, on its own loopback listener (METRICS_PORT), kept off the public port.
    static func metricsApplication(port: Int, metrics: GatewayMetrics, logger: Logger) -> some Service {
        let router = Router(context: BasicRequestContext.self)
        MetricsController(metrics: metrics, token: nil).addRoutes(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil),
            logger: logger)
    }
}

/// Stops the password-hashing threads when the gateway stops.
struct KeyDerivationLifecycle: Service {
    let pool: KeyDerivationPool

    func run() async throws {
        try? await gracefulShutdown()
        try? await pool.shutdown()
    }
}

/// Closes the Redis client's connections and threads when the gateway stops.
struct RedisLifecycle: Service {
    let client: RedisClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}
