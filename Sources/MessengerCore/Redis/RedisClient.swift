import Logging
import NIOPosix
import Synchronization

/// Request/response Redis commands (PUBLISH, INCR, SETEX, PING...) over a small pool of hiredis
/// connections. hiredis blocks, so every call runs on this client's own threads, never on an
/// event loop; the thread count bounds how many commands are in flight.
public final class RedisClient: Sendable {
    public let settings: RedisSettings
    private let threadPool: NIOThreadPool
    private let idleConnections = Mutex<[RedisConnection]>([])
    private let maximumIdleConnections: Int
    private let timeout: Duration

    public init(settings: RedisSettings, connections: Int = 4, timeout: Duration = .seconds(2)) {
        self.settings = settings
        self.maximumIdleConnections = connections
        self.timeout = timeout
        self.threadPool = NIOThreadPool(numberOfThreads: connections)
        self.threadPool.start()
    }

    public func shutdown() async {
        try? await threadPool.shutdownGracefully()
        idleConnections.withLock { $0.removeAll() }
    }

    /// Runs one command. A connection that failed is discarded. A command that failed on an idle
    /// connection from the pool is tried once more on a new one: after a Redis restart every idle
    /// connection is dead, and the first commands would otherwise fail although Redis is back.
    /// (Such a connection fails before the server sees the command; only a server dying between
    /// executing a command and answering it could make the retry run it twice.)
    public func command(_ arguments: [String]) async throws -> RedisReply {
        try await threadPool.runIfActive { [self] in
            var reply: RedisReply
            var connection: RedisConnection
            if let idle = idleConnections.withLock({ $0.popLast() }) {
                connection = idle
                do {
                    reply = try connection.command(arguments)
                } catch {
                    connection = try RedisConnection(settings: settings, timeout: timeout)
                    reply = try connection.command(arguments)
                }
            } else {
                connection = try RedisConnection(settings: settings, timeout: timeout)
                reply = try connection.command(arguments)
            }
            idleConnections.withLock { idle in
                if idle.count < maximumIdleConnections { idle.append(connection) }
            }
            if case .error(let message) = reply { throw RedisError(message) }
            return reply
        }
    }

    public func ping() async throws {
        _ = try await command(["PING"])
    }
}
