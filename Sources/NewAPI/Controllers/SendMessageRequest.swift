import MessengerCore

/// The body of POST /chats/{id}/messages, validated in the order of jwt-api.md §3.4.1 (the
/// reference's checks 1-2, then the required additions) into a `MessageDraft`.
struct SendMessageRequest {
    let draft: MessageDraft

    init(body: [String: JSONValue], idempotencyHeader: String?, maxLength: Int) throws {
        let content: String
        switch body["content"] {
        case nil, .null: content = ""
        case .string(let text): content = text
        default: throw APIError.invalidJSON
        }
        let fileID = try Self.optionalInteger(body["file_id"]) ?? 0
        let stickerID = try Self.optionalInteger(body["sticker_id"]) ?? 0
        let duration: Int64?
        switch body["duration_seconds"] {
        case nil, .null: duration = nil
        case let value?:
            guard let number = value.integerValue else { throw Self.invalidDuration }
            duration = number
        }
        if content.isEmpty && fileID == 0 && stickerID == 0 {
            throw Self.contentRequired
        }
        let kind: MessageKind
        switch body["type"] {
        case nil, .null:
            kind = stickerID > 0 ? .sticker : fileID > 0 ? .file : .text
        case .string(let name):
            guard let known = MessageKind(rawValue: name) else { throw Self.invalidType }
            kind = known
        default:
            throw Self.invalidType
        }
        if content.unicodeScalars.count > maxLength {
            throw APIError(.badRequest, "Message too long (max \(maxLength) characters)")
        }
        switch kind {
        case .text:
            if content.isEmpty { throw Self.contentRequired }
            if fileID > 0 || stickerID > 0 { throw APIError(.badRequest, "text messages cannot carry file_id or sticker_id") }
        case .sticker:
            if stickerID <= 0 { throw APIError(.badRequest, "sticker_id required for sticker messages") }
        case .file, .voice:
            if fileID <= 0 { throw APIError(.badRequest, "file_id required for file and voice messages") }
        }
        if let duration, duration < 0 || duration > 86_400 { throw Self.invalidDuration }
        let clientMessageID = try Self.clientMessageID(body["client_msg_id"], header: idempotencyHeader)

        // Storage rules: a sticker message keeps only its sticker, a file or voice message only its
        // file; a duration is kept only for a stored file and only when positive.
        let storesFile = kind == .file || kind == .voice
        draft = MessageDraft(
            content: content, kind: kind,
            fileID: storesFile ? fileID : nil,
            stickerID: kind == .sticker ? stickerID : nil,
            durationSeconds: storesFile ? duration.flatMap { $0 > 0 ? Int($0) : nil } : nil,
            clientMessageID: clientMessageID)
    }

    static let contentRequired = APIError(.badRequest, "content, file_id or sticker_id required")
    static let invalidType = APIError(.badRequest, "Invalid message type")
    static let invalidDuration = APIError(.badRequest, "Invalid duration_seconds")
    static let invalidClientMessageID = APIError(.badRequest, "client_msg_id must be a string of 1 to 64 characters")

    /// Null counts as absent; anything but an integer is `Invalid JSON`.
    static func optionalInteger(_ value: JSONValue?) throws -> Int64? {
        guard let value, !value.isNull else { return nil }
        guard let number = value.integerValue else { throw APIError.invalidJSON }
        return number
    }

    /// The body field wins over the `Idempotency-Key` header; both are limited to 64 characters.
    static func clientMessageID(_ value: JSONValue?, header: String?) throws -> String? {
        let key: String?
        switch value {
        case nil, .null: key = header
        case .string(let text): key = text
        default: throw invalidClientMessageID
        }
        guard let key else { return nil }
        guard (1...64).contains(key.unicodeScalars.count) else { throw invalidClientMessageID }
        return key
    }
}
