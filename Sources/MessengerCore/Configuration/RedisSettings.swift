import Foundation

/// Where Redis is: `REDIS_URL`, or api_cpp's `REDIS_HOST`/`REDIS_PORT`/`REDIS_PASS`. Unset (or an
/// empty `REDIS_HOST`, as api_cpp documented) means single-node mode with in-process fan-out.
public struct RedisSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var password: String?
    public var database: Int

    public init(host: String, port: Int, password: String? = nil, database: Int = 0) {
        self.host = host
        self.port = port
        self.password = password
        self.database = database
    }

    static func resolve(from env: EnvironmentVariables) throws -> RedisSettings? {
        if let url = env.string("REDIS_URL") {
            return try parse(url: url)
        }
        guard let host = env.string("REDIS_HOST") else { return nil }
        return RedisSettings(
            host: host,
            port: try env.integer("REDIS_PORT", default: 6379, range: 1...65535),
            password: env.string("REDIS_PASS"))
    }

    /// Parses `redis://[:password@]host[:port][/db]`.
    public static func parse(url text: String) throws -> RedisSettings {
        guard let components = URLComponents(string: text), components.scheme == "redis",
              let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: "REDIS_URL", problem: "must look like redis://[:password@]host:port[/db]")
        }
        let path = components.path.drop(while: { $0 == "/" })
        var database = 0
        if !path.isEmpty {
            guard let number = Int(path), number >= 0 else {
                throw ConfigurationError(variable: "REDIS_URL", problem: "database number must be a non-negative integer")
            }
            database = number
        }
        return RedisSettings(
            host: host, port: components.port ?? 6379,
            password: components.password?.removingPercentEncoding, database: database)
    }
}
