import MessengerCore
import Testing

@Suite("Gateway configuration from the environment")
struct GatewayConfigurationTests {
    static let strongSecrets = [
        "SECRET_KEY": "a-legacy-flask-secret-that-is-long-enough-0001",
        "JWT_SECRET": "a-jwt-secret-that-is-long-enough-for-hs256-0002",
        "REFRESH_TOKEN_HASH_KEY": "a-refresh-token-hash-key-long-enough-0003",
        "DATABASE_URL": "postgres://app:pw@db.internal:5433/chat",
    ]

    @Test("production is the default and a missing secret is a startup error naming the variable")
    func missingSecretInProduction() {
        for name in ["SECRET_KEY", "JWT_SECRET", "REFRESH_TOKEN_HASH_KEY"] {
            var env = Self.strongSecrets
            env[name] = nil
            #expect(throws: ConfigurationError.self) { try GatewayConfiguration(environment: env) }
            do {
                _ = try GatewayConfiguration(environment: env)
            } catch let error as ConfigurationError {
                #expect(error.variable == name)
                #expect(error.description.contains("required in production"))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test("short, published-default and repeated-character secrets are refused in production")
    func weakSecrets() {
        for weak in ["short", "change-me-in-production", "change-me-in-production-use-a-long-random-string", String(repeating: "x", count: 40)] {
            var env = Self.strongSecrets
            env["JWT_SECRET"] = weak
            #expect(throws: ConfigurationError.self) { try GatewayConfiguration(environment: env) }
        }
    }

    @Test("a secret's value never appears in the error message")
    func secretNotInMessage() {
        var env = Self.strongSecrets
        env["JWT_SECRET"] = "hunter2-hunter2"
        do {
            _ = try GatewayConfiguration(environment: env)
            Issue.record("expected an error")
        } catch {
            #expect(!"\(error)".contains("hunter2"))
        }
    }

    @Test("development generates missing secrets and defaults to the private cluster")
    func development() throws {
        let configuration = try GatewayConfiguration(environment: ["ENVIRONMENT": "development"])
        #expect(configuration.environment == .development)
        #expect(configuration.secrets.jwtSecret.utf8.count >= 32)
        #expect(configuration.warnings.count == 3)
        #expect(configuration.database == .developmentCluster)
        #expect(configuration.redis == nil)
        #expect(configuration.objectStore == nil)
        #expect(configuration.port == 8080)
        #expect(configuration.host == "127.0.0.1")
    }

    @Test("production without a database setting is an error")
    func productionNeedsDatabase() {
        var env = Self.strongSecrets
        env["DATABASE_URL"] = nil
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration(environment: env) }
    }

    @Test("the api_cpp variable family works unchanged")
    func apiCppFamily() throws {
        var env = Self.strongSecrets
        env["DATABASE_URL"] = nil
        env.merge([
            "API_PORT": "9090", "DB_HOST": "postgres", "DB_NAME": "messenger", "DB_USER": "messenger", "DB_PASS": "changeme_postgres",
            "REDIS_HOST": "redis", "REDIS_PORT": "6380", "REDIS_PASS": "pw",
            "MINIO_ENDPOINT": "minio:9000", "MINIO_ACCESS_KEY": "minioadmin", "MINIO_SECRET_KEY": "changeme_minio",
            "MINIO_PUBLIC_URL": "https://example.test/minio", "MINIO_PRESIGN_TTL": "600",
            "JWT_ACCESS_TTL": "1800", "MAX_FILE_SIZE_MB": "20",
        ]) { $1 }
        let configuration = try GatewayConfiguration(environment: env)
        #expect(configuration.port == 9090)
        #expect(configuration.database == DatabaseSettings(host: "postgres", port: 5432, database: "messenger", username: "messenger", password: "changeme_postgres"))
        #expect(configuration.redis == RedisSettings(host: "redis", port: 6380, password: "pw"))
        #expect(configuration.objectStore?.endpoint == "http://minio:9000")
        #expect(configuration.objectStore?.hostAndPort == "minio:9000")
        #expect(configuration.buckets.publicURL == "https://example.test/minio")
        #expect(configuration.buckets.presignTTLSeconds == 600)
        #expect(configuration.accessTokenTTL == 1800)
        #expect(configuration.maxFileSizeMB == 20)
    }

    @Test("the URL variable family works")
    func urlFamily() throws {
        var env = Self.strongSecrets
        env.merge([
            "PORT": "8081", "HOST": "0.0.0.0", "REDIS_URL": "redis://:secret@cache:6390/2",
            "S3_ENDPOINT": "http://127.0.0.1:59000/", "S3_ACCESS_KEY": "k", "S3_SECRET_KEY": "s", "S3_REGION": "eu-west-1",
            "METRICS_PORT": "9100", "RATE_LIMIT_ENABLED": "false", "ALLOWED_ORIGINS": "https://a.test, https://b.test",
        ]) { $1 }
        let configuration = try GatewayConfiguration(environment: env)
        #expect(configuration.port == 8081)
        #expect(configuration.host == "0.0.0.0")
        #expect(configuration.database == DatabaseSettings(host: "db.internal", port: 5433, database: "chat", username: "app", password: "pw"))
        #expect(configuration.redis == RedisSettings(host: "cache", port: 6390, password: "secret", database: 2))
        #expect(configuration.objectStore?.endpoint == "http://127.0.0.1:59000")
        #expect(configuration.objectStore?.region == "eu-west-1")
        #expect(configuration.metricsPort == 9100)
        #expect(configuration.rateLimitEnabled == false)
        #expect(configuration.allowedOrigins == ["https://a.test", "https://b.test"])
    }

    @Test("an empty REDIS_HOST means single-node mode, as api_cpp documented")
    func emptyRedisHost() throws {
        var env = Self.strongSecrets
        env["REDIS_HOST"] = ""
        #expect(try GatewayConfiguration(environment: env).redis == nil)
    }

    @Test("malformed numbers are startup errors, not zero")
    func strictNumbers() {
        for (name, value) in [("JWT_ACCESS_TTL", "abc"), ("PORT", "70000"), ("MAX_FILE_SIZE_MB", "0"), ("RATE_LIMIT_ENABLED", "maybe")] {
            var env = Self.strongSecrets
            env[name] = value
            #expect(throws: ConfigurationError.self) { try GatewayConfiguration(environment: env) }
        }
    }

    @Test("an S3 endpoint without credentials is an error")
    func s3NeedsCredentials() {
        var env = Self.strongSecrets
        env["S3_ENDPOINT"] = "http://127.0.0.1:9000"
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration(environment: env) }
    }
}
