import Foundation
import MessengerCore

/// The rules that turn api_legacy rows into gateway rows, including every bad-data rule (the
/// README's mapping table and docs/migrator.md list them). Pure: the same source always maps to
/// the same rows, which is what makes digests, re-runs and verify work.
public struct LegacyMapping: Sendable {
    public let buckets: BucketSettings

    public init(buckets: BucketSettings) {
        self.buckets = buckets
    }

    // MARK: text

    /// The repaired value, listing the row when bytes had to change.
    func text(_ value: LegacyText, _ table: String, _ id: Int64, _ column: String, _ problems: inout ProblemLog) -> String {
        if let problem = value.repairProblem(column: column) {
            problems.record(table, id, problem, "stored the repaired text")
        }
        return value.value
    }

    func optionalText(_ value: LegacyText?, _ table: String, _ id: Int64, _ column: String, _ problems: inout ProblemLog) -> String? {
        guard let value, !value.isNull else { return nil }
        return text(value, table, id, column, &problems)
    }

    func timestamp(_ value: LegacyText?, _ table: String, _ id: Int64, _ column: String, _ problems: inout ProblemLog) -> Int64 {
        guard let value, !value.isNull else {
            problems.record(table, id, "\(column) is NULL", "stored 1970-01-01 00:00:00 UTC")
            return LegacyTimestamp.fallback
        }
        guard let parsed = LegacyTimestamp.microseconds(parsing: value.value) else {
            problems.record(table, id, "\(column) is not a timestamp: \(value.value.prefix(40).debugDescription)", "stored 1970-01-01 00:00:00 UTC")
            return LegacyTimestamp.fallback
        }
        return parsed
    }

    // MARK: users

    /// Maps every user in id order. Usernames must be unique under the target's ASCII-only case
    /// folding (the same rule as SQLite's NOCASE); a later user whose name collides with an
    /// earlier one is renamed `<name>_<id>` and listed.
    public func users(_ rows: [LegacyUser], problems: inout ProblemLog) -> [MigratedUser] {
        var taken = Set<String>()
        return rows.map { row in
            var username = text(row.username, "users", row.id, "username", &problems)
            if username.isEmpty {
                username = "user_\(row.id)"
                problems.record("users", row.id, "empty username", "renamed to \(username)")
            }
            if taken.contains(Self.asciiCasefold(username)) {
                var renamed = "\(username)_\(row.id)"
                while taken.contains(Self.asciiCasefold(renamed)) { renamed += "_" }
                problems.record("users", row.id, "username \(username.debugDescription) collides case-insensitively with an earlier user", "renamed to \(renamed)")
                username = renamed
            }
            taken.insert(Self.asciiCasefold(username))
            let hash = text(row.passwordHash, "users", row.id, "password_hash", &problems)
            if row.passwordHash.isNull {
                problems.record("users", row.id, "password_hash is NULL", "stored an empty hash: the account cannot log in until its password is reset")
            }
            return MigratedUser(
                id: row.id, username: username, passwordHash: hash,
                displayName: optionalText(row.displayName, "users", row.id, "display_name", &problems),
                bio: optionalText(row.bio, "users", row.id, "bio", &problems),
                avatar: avatar(row, &problems),
                createdAt: timestamp(row.createdAt, "users", row.id, "created_at", &problems))
        }
    }

    /// `ascii_casefold()` of the schema: only A-Z fold.
    public static func asciiCasefold(_ text: String) -> String {
        String(decoding: text.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Current avatars are keys in the avatars bucket (`avatars/<uid>/<12hex>.<ext>`); avatars of
    /// earlier versions are files under uploads/avatars/, which go to the uploads bucket under
    /// `avatars/<file>` (the storage conventions).
    func avatar(_ row: LegacyUser, _ problems: inout ProblemLog) -> ObjectReference? {
        guard let path = row.avatarPath, !path.isNull else { return nil }
        var key = path.value.trimmingCharacters(in: .whitespaces)
        if key.isEmpty { return nil }
        for prefix in ["/uploads/", "uploads/", "/"] where key.hasPrefix(prefix) {
            key = String(key.dropFirst(prefix.count))
        }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard BlobKey.isSafeObjectKey(key), segments.first == "avatars", segments.count == 2 || segments.count == 3 else {
            problems.record("users", row.id, "avatar_path \(path.value.prefix(80).debugDescription) is not an object key", "no avatar")
            return nil
        }
        return ObjectReference(bucket: segments.count == 3 ? buckets.avatars : buckets.uploads, key: key)
    }

    // MARK: settings

    /// Settings of known users; for a v1 database (`rows == nil`) the default row for every user,
    /// as the §10.2 upgrade's backfill writes.
    public func settings(_ rows: [LegacySettings]?, users: Set<Int64>, problems: inout ProblemLog) -> [MigratedSettings] {
        guard let rows else {
            return users.sorted().map { MigratedSettings(userID: $0, theme: "light", notificationsEnabled: true, language: "en") }
        }
        return rows.compactMap { row in
            guard users.contains(row.userID) else {
                problems.record("user_settings", row.userID, "user_id refers to no user", "row skipped")
                return nil
            }
            var enabled = true
            if let value = row.notificationsEnabled {
                enabled = value != 0
            } else {
                problems.record("user_settings", row.userID, "notifications_enabled is not 0 or 1", "stored true (the default)")
            }
            return MigratedSettings(
                userID: row.userID,
                theme: text(row.theme, "user_settings", row.userID, "theme", &problems),
                notificationsEnabled: enabled,
                language: text(row.language, "user_settings", row.userID, "language", &problems))
        }
    }

    // MARK: stickers

    public func stickers(_ rows: [LegacySticker], problems: inout ProblemLog) -> [MigratedSticker] {
        rows.compactMap { row in
            let path = text(row.filePath, "stickers", row.id, "file_path", &problems)
            guard BlobKey.isSafeObjectKey(path) else {
                problems.record("stickers", row.id, "file_path \(path.prefix(80).debugDescription) is not an object key", "sticker skipped; messages using it keep no sticker reference")
                return nil
            }
            return MigratedSticker(
                id: row.id, packName: text(row.packName, "stickers", row.id, "pack_name", &problems),
                label: text(row.label, "stickers", row.id, "label", &problems),
                image: ObjectReference(bucket: buckets.stickers, key: path))
        }
    }

    // MARK: conversations

    /// The chats, plus where each legacy conversation id ended up: a second conversation for the
    /// same pair (the database only enforces the ordered pair) is merged into the first.
    public func conversations(
        _ rows: [LegacyConversation], users: Set<Int64>, problems: inout ProblemLog
    ) -> (chats: [MigratedChat], chatOf: [Int64: Int64]) {
        var chats: [MigratedChat] = []
        var chatOf: [Int64: Int64] = [:]
        var byPair: [String: Int64] = [:]
        for row in rows {
            guard let a = row.userA, let b = row.userB, users.contains(a), users.contains(b) else {
                problems.record("conversations", row.id, "user_a_id or user_b_id refers to no user", "conversation and its messages skipped")
                continue
            }
            if a > b {
                problems.record("conversations", row.id, "user_a_id is greater than user_b_id", "stored as the ordered pair")
            }
            let chat = MigratedChat(
                id: row.id, lowUserID: min(a, b), highUserID: max(a, b),
                updatedAt: timestamp(row.updatedAt, "conversations", row.id, "updated_at", &problems))
            if let first = byPair[chat.directKey] {
                problems.record("conversations", row.id, "second conversation for the pair \(chat.directKey)", "messages moved to conversation \(first)")
                chatOf[row.id] = first
                continue
            }
            byPair[chat.directKey] = row.id
            chatOf[row.id] = row.id
            chats.append(chat)
        }
        return (chats, chatOf)
    }

    // MARK: messages

    /// What a message needs to know about the rows copied before it.
    public struct MessageContext: Sendable {
        /// Legacy conversation id -> the chat its messages go to (after merges), with its members (v2).
        public var chatOfConversation: IDTable<ChatParticipants>
        /// v1: "<low>:<high>" -> the chat, derived as the §10.2 upgrade does.
        public var chatOfPair: [String: ChatParticipants]
        public var users: IDTable<Bool>
        public var stickers: Set<Int64>
    }

    /// A copied chat and its two members, all a message's mapping needs of it.
    public struct ChatParticipants: Sendable {
        public var chatID: Int64
        public var lowUserID: Int64
        public var highUserID: Int64
    }

    public func message(_ row: LegacyMessage, context: MessageContext, problems: inout ProblemLog) -> MigratedMessage? {
        let id = row.id
        guard let sender = row.fromUserID, context.users.contains(sender) else {
            problems.record("messages", id, "from_user_id refers to no user", "message skipped")
            return nil
        }
        let participants: ChatParticipants?
        if let conversation = row.conversationID {
            participants = context.chatOfConversation[conversation]
        } else if let recipient = row.toUserID {
            participants = context.chatOfPair["\(min(sender, recipient)):\(max(sender, recipient))"]
        } else {
            participants = nil
        }
        guard let chat = participants else {
            problems.record("messages", id, "conversation refers to no copied conversation", "message skipped")
            return nil
        }
        let chatID = chat.chatID
        if sender != chat.lowUserID && sender != chat.highUserID {
            problems.record("messages", id, "sender is not a participant of conversation \(chatID)", "copied as is")
        }
        var kind = row.messageType.map { $0.value } ?? "text"
        switch kind {
        case "text", "sticker", "voice": break
        default:
            problems.record("messages", id, "message_type \(kind.prefix(40).debugDescription) is unknown", "copied as a text message")
            kind = "text"
        }
        var message = MigratedMessage(
            id: id, chatID: chatID, senderID: sender,
            content: optionalText(row.content, "messages", id, "content", &problems),
            kind: kind, stickerID: nil, voice: nil, durationSeconds: nil,
            createdAt: row.createdAtMicroseconds ?? timestamp(row.createdAt, "messages", id, "created_at", &problems))
        switch kind {
        case "sticker":
            let text = (message.content ?? "").trimmingCharacters(in: .whitespaces)
            if let sticker = Int64(text), context.stickers.contains(sticker) {
                message.stickerID = sticker
            } else {
                problems.record("messages", id, "sticker \(text.prefix(40).debugDescription) does not exist", "kept as a sticker message without a sticker reference")
            }
        case "voice":
            let path = row.attachmentPath.map { $0.value } ?? ""
            let name = path.hasPrefix("voice/") ? String(path.dropFirst("voice/".count)) : ""
            if !name.isEmpty, !name.contains("/"), BlobKey.isSafeObjectKey(path) {
                message.voice = ObjectReference(bucket: buckets.uploads, key: path)
            } else {
                problems.record("messages", id, "attachment_path \(path.prefix(80).debugDescription) is not voice/<file name>", "kept as a voice message without a file")
            }
            if let duration = row.durationSeconds, (0...86_400).contains(duration) {
                message.durationSeconds = Int32(duration)
            } else if row.durationSeconds != nil || row.durationUnreadable {
                problems.record("messages", id, "duration_seconds is not between 0 and 86400", "stored no duration")
            }
        default:
            break
        }
        return message
    }

    /// Content types of objects the migrator uploads or registers, by extension.
    public static func contentType(forKey key: String) -> String {
        switch key.split(separator: ".").last.map({ $0.lowercased() }) ?? "" {
        case "webm": "audio/webm"
        case "ogg": "audio/ogg"
        case "mp3": "audio/mpeg"
        case "wav": "audio/wav"
        case "m4a": "audio/mp4"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "gif": "image/gif"
        case "webp": "image/webp"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
    }
}
