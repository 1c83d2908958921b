import Foundation

/// Where PostgreSQL is: `DATABASE_URL`, or api_cpp's `DB_HOST`/`DB_PORT`/`DB_NAME`/`DB_USER`/`DB_PASS`.
public struct DatabaseSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var database: String
    public var username: String
    public var password: String?
    /// Connections in this process's pool.
    public var poolSize: Int
    /// `application_name` of this process's connections, as pg_stat_activity shows them.
    public var applicationName = "gateway"

    public init(host: String, port: Int, database: String, username: String, password: String?, poolSize: Int = 10) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.poolSize = poolSize
    }

    /// The private cluster that `scripts/services.sh` starts; used in development when nothing is set.
    public static let developmentCluster = DatabaseSettings(
        host: "127.0.0.1", port: 55432, database: "messenger", username: "messenger", password: "messenger")

    static let databaseVariables = ["DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASS"]

    public static func resolve(from env: EnvironmentVariables, environment: DeploymentEnvironment) throws -> DatabaseSettings {
        let poolSize = try env.integer("DB_POOL_SIZE", default: 10, range: 1...500)
        if let url = env.string("DATABASE_URL") {
            var settings = try parse(url: url)
            settings.poolSize = poolSize
            return settings
        }
        if databaseVariables.contains(where: { env.string($0) != nil }) {
            return DatabaseSettings(
                host: env.string("DB_HOST") ?? "localhost",
                port: try env.integer("DB_PORT", default: 5432, range: 1...65535),
                database: env.string("DB_NAME") ?? "messenger",
                username: env.string("DB_USER") ?? "messenger",
                password: env.string("DB_PASS") ?? "changeme_postgres",
                poolSize: poolSize)
        }
        guard environment == .development else {
            throw ConfigurationError(
                variable: "DATABASE_URL", problem: "is required in production (or DB_HOST, DB_PORT, DB_NAME, DB_USER, DB_PASS)")
        }
        var settings = developmentCluster
        settings.poolSize = poolSize
        return settings
    }

    /// Parses `postgres://user:password@host:port/database[?sslmode=disable]`.
    public static func parse(url text: String) throws -> DatabaseSettings {
        guard let components = URLComponents(string: text),
              let scheme = components.scheme, scheme == "postgres" || scheme == "postgresql",
              let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(
                variable: "DATABASE_URL", problem: "must look like postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        if let sslMode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value,
           sslMode != "disable" && sslMode != "prefer" && sslMode != "allow" {
            throw ConfigurationError(
                variable: "DATABASE_URL", problem: "sslmode=\(sslMode) is not supported yet; use a TLS-terminating proxy")
        }
        return DatabaseSettings(
            host: host,
            port: components.port ?? 5432,
            database: database.isEmpty ? "messenger" : database,
            username: components.user?.removingPercentEncoding ?? "messenger",
            password: components.password?.removingPercentEncoding)
    }
}
