import Foundation
import Synchronization

/// A named limit of jwt-api.md §10.2: at most `limit` events per `window` seconds per subject.
public struct RateLimit: Sendable, Equatable {
    public let bucket: String
    public let limit: Int
    public let windowSeconds: Int

    public init(bucket: String, limit: Int, windowSeconds: Int) {
        self.bucket = bucket
        self.limit = limit
        self.windowSeconds = windowSeconds
    }

    public static let loginPerIP = RateLimit(bucket: "login-ip", limit: 10, windowSeconds: 60)
    public static let loginPerUsername = RateLimit(bucket: "login-user", limit: 5, windowSeconds: 60)
    public static let registerPerIP = RateLimit(bucket: "register-ip", limit: 5, windowSeconds: 3600)
    public static let refreshPerUser = RateLimit(bucket: "refresh", limit: 30, windowSeconds: 60)
    public static let sendPerUser = RateLimit(bucket: "send", limit: 30, windowSeconds: 10)
    public static let uploadPerUser = RateLimit(bucket: "upload", limit: 20, windowSeconds: 60)
    public static let publicLookupPerIP = RateLimit(bucket: "public", limit: 60, windowSeconds: 60)
    public static let webSocketConnectPerIP = RateLimit(bucket: "ws-connect", limit: 20, windowSeconds: 60)
    public static let typingPerUser = RateLimit(bucket: "typing", limit: 20, windowSeconds: 10)
}

public enum RateLimitDecision: Sendable, Equatable {
    case allowed
    /// Refused; the window ends in this many seconds (the `Retry-After` value).
    case limited(retryAfter: Int)
}

/// Fixed-window counters (`rl:<bucket>:<subject>:<window start>`): in Redis with INCR + EXPIRE when
/// the gateway has Redis, so every node shares one count, else in this process.
public final class RateLimiter: Sendable {
    private let enabled: Bool
    private let redis: RedisClient?
    private let local = Mutex<[String: Int]>([:])
    private let lastSweep = Mutex<Int>(0)

    public init(enabled: Bool, redis: RedisClient?) {
        self.enabled = enabled
        self.redis = redis
    }

    public func check(_ limit: RateLimit, subject: String, now: Date = Date()) async -> RateLimitDecision {
        guard enabled else { return .allowed }
        let epoch = Int(now.timeIntervalSince1970)
        let windowStart = epoch - epoch % limit.windowSeconds
        let key = "rl:\(limit.bucket):\(subject):\(windowStart)"
        let count = await increment(key, windowSeconds: limit.windowSeconds, epoch: epoch)
        guard count > limit.limit else { return .allowed }
        GatewayMetrics.shared.rateLimited.increment()
        return .limited(retryAfter: max(1, windowStart + limit.windowSeconds - epoch))
    }

    private func increment(_ key: String, windowSeconds: Int, epoch: Int) async -> Int {
        if let redis {
            do {
                let count = try await redis.command(["INCR", key]).integer ?? 0
                if count == 1 {
                    _ = try await redis.command(["EXPIRE", key, String(windowSeconds)])
                }
                return Int(count)
            } catch {
                // A Redis outage must not lock everyone out; fall back to this node's counters.
                GatewayMetrics.shared.recordDependencyError("redis")
            }
        }
        sweepExpired(epoch: epoch)
        return local.withLock { counters in
            counters[key, default: 0] += 1
            return counters[key] ?? 0
        }
    }

    /// Drops counters of windows that have ended, at most once a minute.
    private func sweepExpired(epoch: Int) {
        let due = lastSweep.withLock { last in
            guard epoch - last >= 60 else { return false }
            last = epoch
            return true
        }
        guard due else { return }
        local.withLock { counters in
            counters = counters.filter { key, _ in
                guard let start = key.split(separator: ":").last.flatMap({ Int($0) }) else { return false }
                return epoch - start < 3600
            }
        }
    }
}
