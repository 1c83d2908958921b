import Foundation
import MessengerCore

/// The shared response objects of legacy-api.md §5.0, built from core values.
enum LegacyObjects {
    /// `users.display_name`, or the username when that is NULL or `""`.
    static func displayName(_ stored: String?, username: String) -> String {
        guard let stored, !stored.isEmpty else { return username }
        return stored
    }

    /// The stable avatar URL, which redirects to a fresh signed URL (§5.18); null without avatar.
    static func avatarURL(userID: Int64, hasAvatar: Bool) -> JSONValue {
        hasAvatar ? .string("/web-api/users/\(userID)/avatar") : .null
    }

    static func stickerURL(_ stickerID: Int64) -> String {
        "/web-api/stickers/\(stickerID)/image"
    }

    static func userSummary(_ user: UserProfile) -> JSONValue {
        [
            "id": .integer(user.id),
            "username": .string(user.username),
            "display_name": .string(displayName(user.displayName, username: user.username)),
            "avatar_url": avatarURL(userID: user.id, hasAvatar: user.avatar != nil),
        ]
    }

    static func profile(_ user: UserProfile) -> JSONValue {
        profile(id: user.id, username: user.username, displayName: user.displayName, bio: user.bio, hasAvatar: user.avatar != nil)
    }

    static func profile(id: Int64, username: String, displayName: String?, bio: String?, hasAvatar: Bool) -> JSONValue {
        [
            "id": .integer(id),
            "username": .string(username),
            "display_name": .string(Self.displayName(displayName, username: username)),
            "bio": .string(bio ?? ""),
            "avatar_url": avatarURL(userID: id, hasAvatar: hasAvatar),
        ]
    }

    static let stickerPreview = "\u{1F3AD} Sticker"
    static let voicePreview = "\u{1F3A4} Voice message"

    static func chatSummary(_ chat: DirectChatEntry) -> JSONValue {
        let preview: String
        switch chat.lastMessageKind {
        case "sticker": preview = stickerPreview
        case "voice": preview = voicePreview
        default: preview = PythonText.prefix(chat.lastMessageContent ?? "", 80)
        }
        return [
            "id": .integer(chat.id),
            "other_id": .integer(chat.peer.id),
            "other_username": .string(chat.peer.username),
            "other_display_name": .string(displayName(chat.peer.displayName, username: chat.peer.username)),
            "other_avatar_url": avatarURL(userID: chat.peer.id, hasAvatar: chat.peer.hasAvatar),
            "last_preview": .string(preview),
            "last_at": .string(Timestamp.legacy(chat.lastMessageAt ?? chat.updatedAt)),
        ]
    }

    /// The Message object. Sticker messages show their sticker's id as `content` when the stored
    /// text is empty (messages sent through the JWT API), so both API generations look alike;
    /// `attachment_path` is the attachment's object key (`voice/<file>` for voice messages).
    static func message(_ view: MessageView) -> JSONValue {
        let message = view.message
        var content = JSONValue(message.content)
        var stickerURL: JSONValue = .null
        var stickerLabel: JSONValue = .null
        if message.kind == MessageKind.sticker.rawValue, let stickerID = message.stickerID {
            if (message.content ?? "").isEmpty { content = .string(String(stickerID)) }
            if let label = view.stickerLabel {
                stickerURL = .string(Self.stickerURL(stickerID))
                stickerLabel = .string(label)
            }
        }
        let isVoice = message.kind == MessageKind.voice.rawValue
        return [
            "id": .integer(message.id),
            "conversation_id": .integer(message.chatID),
            "from_user_id": .integer(message.senderID),
            "from_username": .string(view.senderUsername),
            "from_display_name": .string(displayName(view.senderDisplayName, username: view.senderUsername)),
            "from_avatar_url": avatarURL(userID: message.senderID, hasAvatar: view.senderHasAvatar),
            "content": content,
            "message_type": .string(message.kind),
            "attachment_path": isVoice ? JSONValue(view.attachmentObjectKey) : .null,
            "duration_seconds": isVoice ? .integer(Int64(message.durationSeconds ?? 0)) : JSONValue(message.durationSeconds),
            "sticker_url": stickerURL,
            "sticker_label": stickerLabel,
            "created_at": .string(Timestamp.legacy(message.createdAt)),
        ]
    }

    static func sticker(_ sticker: Sticker) -> JSONValue {
        [
            "id": .integer(sticker.id),
            "label": .string(sticker.label),
            "pack_name": .string(sticker.packName),
            "url": .string(stickerURL(sticker.id)),
        ]
    }

    static func settings(_ settings: UserSettings) -> JSONValue {
        [
            "theme": .string(settings.theme),
            "notifications_enabled": .bool(settings.notificationsEnabled),
            "language": .string(settings.language),
        ]
    }
}
