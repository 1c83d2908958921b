/// What a health probe found for one dependency.
public enum DependencyState: String, Sendable, Codable {
    case up
    case down
    /// Not configured: the gateway runs without it (single node, local blob store).
    case disabled
}

/// The states of all dependencies at one moment.
public struct HealthReport: Sendable, Codable {
    public var database: DependencyState
    public var redis: DependencyState
    public var objectStore: DependencyState

    /// Ready to serve traffic: PostgreSQL answers, and Redis too when it is configured. The object
    /// store is not required: only file routes depend on it, and they fail on their own.
    public var isReady: Bool {
        database == .up && redis != .down
    }

    enum CodingKeys: String, CodingKey {
        case database
        case redis
        case objectStore = "object_store"
    }
}
