/// The kinds of message both API generations store (`messages.message_type`).
public enum MessageKind: String, Sendable, CaseIterable {
    case text, file, voice, sticker
}

/// A message as a sender asks to store it, already validated for shape by the API adapter.
public struct MessageDraft: Sendable, Equatable {
    public var content: String
    public var kind: MessageKind
    public var fileID: Int64?
    public var stickerID: Int64?
    public var durationSeconds: Int?
    /// The client's idempotency key (≤ 64 characters): a retried send returns the original.
    public var clientMessageID: String?

    public init(content: String, kind: MessageKind, fileID: Int64? = nil, stickerID: Int64? = nil,
                durationSeconds: Int? = nil, clientMessageID: String? = nil) {
        self.content = content
        self.kind = kind
        self.fileID = fileID
        self.stickerID = stickerID
        self.durationSeconds = durationSeconds
        self.clientMessageID = clientMessageID
    }
}
