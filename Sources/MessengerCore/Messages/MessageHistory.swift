import Foundation
import Logging
import PostgresNIO

/// Which slice of a chat's history to read (jwt-api.md §3.4.2). Always returned oldest first.
public enum MessagePage: Sendable, Equatable {
    /// The newest `limit` messages.
    case latest(limit: Int)
    /// The `limit` newest messages with an id below `id` (scrolling back).
    case before(id: Int64, limit: Int)
    /// Up to `limit` messages with an id above `id`, oldest first (polling).
    case after(id: Int64, limit: Int)

    public static let defaultLimit = 50
    public static let limitRange = 1...100
}

/// A message with what a reader shows next to it: sender, sticker and attachment.
public struct MessageView: Sendable, Equatable {
    public let message: StoredMessage
    public let senderUsername: String
    public let senderDisplayName: String?
    public let senderIsAdmin: Bool
    public let senderAvatarURL: String?
    /// Whether the sender has an avatar at all (the legacy API links a stable URL instead).
    public let senderHasAvatar: Bool
    public let stickerURL: String?
    public let stickerLabel: String?
    public let attachmentURL: String?
    public let attachmentFilename: String?
    public let attachmentMimeType: String?
    public let attachmentSize: Int64?
    /// The attachment's object key: what legacy responses call `attachment_path`.
    public let attachmentObjectKey: String?
}

/// Reading a chat's messages, for members only, paged by id: ids come from one sequence, so paging
/// by id is stable under concurrent inserts (D-21) and served by the (chat_id, id) index.
public struct MessageHistory: Sendable {
    let core: CoreServices

    public init(core: CoreServices) {
        self.core = core
    }

    public func page(_ page: MessagePage, of chatID: Int64, for readerID: Int64) async throws -> [MessageView] {
        guard try await ChatMembership(core: core).role(of: readerID, in: chatID) != nil else {
            throw MessageError.notAMember
        }
        let rows: AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>
        switch page {
        case .latest(let limit):
            rows = try await core.database.execute(LatestMessagesStatement(chatID: chatID, limit: Int64(limit)), logger: core.logger)
        case .before(let id, let limit):
            rows = try await core.database.execute(MessagesBeforeStatement(chatID: chatID, boundary: id, limit: Int64(limit)), logger: core.logger)
        case .after(let id, let limit):
            rows = try await core.database.execute(MessagesAfterStatement(chatID: chatID, boundary: id, limit: Int64(limit)), logger: core.logger)
        }
        var views: [MessageView] = []
        for try await row in rows {
            views.append(try view(PostgresRandomAccessRow(row)))
        }
        return views
    }

    private func view(_ row: PostgresRandomAccessRow) throws -> MessageView {
        let message = StoredMessage(
            id: try row["id"].decode(Int64.self),
            chatID: try row["chat_id"].decode(Int64.self),
            senderID: try row["sender_id"].decode(Int64.self),
            content: try row["content"].decode(String?.self),
            kind: try row["message_type"].decode(String.self),
            fileID: try row["file_id"].decode(Int64?.self),
            stickerID: try row["sticker_id"].decode(Int64?.self),
            durationSeconds: try row["duration_seconds"].decode(Int32?.self).map(Int.init),
            createdAt: try row["created_at"].decode(Date.self))
        return MessageView(
            message: message,
            senderUsername: try row["username"].decode(String.self),
            senderDisplayName: try row["display_name"].decode(String?.self),
            senderIsAdmin: try row["is_admin"].decode(Bool.self),
            senderAvatarURL: try objectURL(row, "avatar_bucket", "avatar_key", upload: ("avatar_filename", "avatar_mime")),
            senderHasAvatar: try row["avatar_key"].decode(String?.self) != nil,
            stickerURL: try objectURL(row, "sticker_bucket", "sticker_key", upload: nil),
            stickerLabel: try row["sticker_label"].decode(String?.self),
            attachmentURL: try objectURL(row, "file_bucket", "file_key", upload: ("file_name", "file_mime")),
            attachmentFilename: try row["file_name"].decode(String?.self),
            attachmentMimeType: try row["file_mime"].decode(String?.self),
            attachmentSize: try row["file_size"].decode(Int64?.self),
            attachmentObjectKey: try row["file_key"].decode(String?.self))
    }

    /// The signed URL of the object named by the row's `bucket`/`key` columns, if any. User uploads
    /// (`upload` names their filename and MIME columns) get the safe content-disposition rule.
    private func objectURL(
        _ row: PostgresRandomAccessRow, _ bucketColumn: String, _ keyColumn: String, upload: (String, String)?
    ) throws -> String? {
        guard let bucket = try row[bucketColumn].decode(String?.self), let key = try row[keyColumn].decode(String?.self) else {
            return nil
        }
        var description: UploadedObjectDescription?
        if let (filenameColumn, mimeColumn) = upload {
            description = UploadedObjectDescription(
                filename: try row[filenameColumn].decode(String?.self) ?? "file", mimeType: try row[mimeColumn].decode(String?.self))
        }
        return core.objectURLs.url(bucket: bucket, key: key, upload: description)
    }
}
