import Foundation

/// The real-time event of a new message (jwt-api.md §5.6): the seven fields every client reads,
/// plus the attachment ids. Both API generations publish exactly this for every message.
public enum MessageEvent {
    public static func payload(for message: StoredMessage) -> String {
        let event: JSONValue = [
            "type": "message",
            "id": .integer(message.id),
            "chat_id": .integer(message.chatID),
            "sender_id": .integer(message.senderID),
            "content": .string(message.content ?? ""),
            "message_type": .string(message.kind),
            "created_at": JSONValue(rfc3339: message.createdAt),
            "sticker_id": JSONValue(message.stickerID),
            "file_id": JSONValue(message.fileID),
            "duration_seconds": JSONValue(message.durationSeconds),
        ]
        return event.jsonText(sortedKeys: true)
    }
}
