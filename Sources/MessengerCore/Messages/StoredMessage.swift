import Foundation

/// A message row as stored.
public struct StoredMessage: Sendable, Equatable {
    public let id: Int64
    public let chatID: Int64
    public let senderID: Int64
    public let content: String?
    public let kind: String
    public let fileID: Int64?
    public let stickerID: Int64?
    public let durationSeconds: Int?
    public let createdAt: Date
}

/// What a send produced: a new message, or the original one for a repeated idempotency key.
public enum SendOutcome: Sendable, Equatable {
    case created(StoredMessage)
    case duplicate(StoredMessage)

    public var message: StoredMessage {
        switch self {
        case .created(let message), .duplicate(let message): message
        }
    }
}
