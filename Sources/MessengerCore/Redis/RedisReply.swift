/// A decoded RESP reply.
public enum RedisReply: Sendable, Equatable {
    case string(String)
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var string: String? {
        switch self {
        case .string(let value), .status(let value): value
        default: nil
        }
    }
}

public struct RedisError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "redis: \(message)" }
}
