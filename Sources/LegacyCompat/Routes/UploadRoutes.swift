import Foundation
import Hummingbird
import MessengerCore
import NIOCore

/// §5.11 avatar and §5.12 voice uploads, and §4 `/uploads/*`. Storage, typing and read access are
/// the core FileService's: objects follow the shared storage conventions (avatars bucket
/// `avatars/<uid>/<12hex>.<ext>`, uploads bucket `voice/voice_<uid>_<8hex>.<ext>`), the content
/// decides the stored type (api_legacy trusted the extension), and `/uploads/*` serves a voice file
/// only to its uploader and the members of a chat it was sent to (§14.11).
struct UploadRoutes: Sendable {
    let core: CoreServices
    let files: FileService
    let editor: ProfileEditor
    let messages: MessageService
    let membership: ChatMembership
    let replies: MessageRoutes

    init(core: CoreServices) {
        self.core = core
        self.files = FileService(core: core)
        self.editor = ProfileEditor(core: core)
        self.messages = MessageService(core: core)
        self.membership = ChatMembership(core: core)
        self.replies = MessageRoutes(core: core)
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.post, "/upload/avatar") { request, context in try await avatar(request, context) }
        table.api(.post, "/upload/voice") { request, context in try await voice(request, context) }
        table.page("/uploads/**") { request, context in try await download(request, context) }
    }

    static let noFile = LegacyError(.badRequest, "No file provided")
    static let invalidType = LegacyError(.badRequest, "Invalid file type")
    static let avatarTooLarge = LegacyError(.badRequest, "File too large (max 5MB)")
    static let voiceTooLarge = LegacyError(.badRequest, "File too large (max 10MB)")
    static let storageFailed = LegacyError(.badGateway, "Storage upload failed")

    static let avatarExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "webp"]
    static let voiceExtensions: Set<String> = ["webm", "ogg", "mp3", "wav", "m4a"]
    static let avatarLimit = 5 * 1024 * 1024
    static let voiceLimit = 10 * 1024 * 1024
    /// Room for the multipart framing and the text fields around the file.
    static let formOverhead = 64 * 1024
    /// The database's bound on `messages.duration_seconds`.
    static let maximumDuration = 86_400

    func avatar(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let form = try await Self.form(of: request, limit: Self.avatarLimit + Self.formOverhead, tooLarge: Self.avatarTooLarge)
        let part = try Self.file(in: form, extensions: Self.avatarExtensions)
        guard part.body.readableBytes <= Self.avatarLimit else { throw Self.avatarTooLarge }
        let stored = try await store(part, purpose: .avatar, uploaderID: session.userID, tooLarge: Self.avatarTooLarge)
        do {
            _ = try await editor.setAvatar(userID: session.userID, fileID: stored.id)
        } catch ProfileEditError.notAnImage, ProfileEditError.fileNotFound {
            throw Self.invalidType
        } catch ProfileEditError.userNotFound {
            throw LegacyError.unauthorised
        }
        return LegacyJSONResponse.make(["avatar_url": .string("/web-api/users/\(session.userID)/avatar")])
    }

    func voice(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let form = try await Self.form(of: request, limit: Self.voiceLimit + Self.formOverhead, tooLarge: Self.voiceTooLarge)
        let part = try Self.file(in: form, extensions: Self.voiceExtensions)
        guard part.body.readableBytes <= Self.voiceLimit else { throw Self.voiceTooLarge }
        guard let chatID = PythonText.identifierOrBeyond(form.field(named: "chat_id") ?? "") else {
            throw MessageRoutes.chatIDRequired
        }
        // Checked before anything is stored (§5.12: "only after all checks pass").
        guard let access = try await membership.access(of: session.userID, to: chatID), let role = access.role else {
            throw MessageRoutes.conversationNotFound
        }
        if access.chatType == .channel && !role.isManager { throw MessageRoutes.channelReadOnly }
        let duration = min(form.field(named: "duration").flatMap { PythonText.identifierOrBeyond($0) }.map { Int(clamping: $0) } ?? 0, Self.maximumDuration)
        let stored = try await store(part, purpose: .voice, uploaderID: session.userID, tooLarge: Self.voiceTooLarge)
        let sent: StoredMessage
        do {
            sent = try await messages.send(
                MessageDraft(content: "", kind: .voice, fileID: stored.id, durationSeconds: duration), from: session.userID, to: chatID
            ).message
        } catch let error as MessageError {
            switch error {
            case .channelIsReadOnly: throw MessageRoutes.channelReadOnly
            case .notAMember, .fileNotFound, .stickerNotFound: throw MessageRoutes.conversationNotFound
            }
        }
        return try await replies.createdReply(for: sent, reader: session.userID)
    }

    /// `GET /uploads/<path>`: the path is normalised (`voice/../voice/x.ogg` is fine); one that
    /// climbs out of the uploads root is 403; anything the caller may not read is 404, like a
    /// missing file.
    func download(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let relative = context.parameters.getCatchAll().joined(separator: "/")
        guard let key = try Self.normalisedKey(LoginRedirect.decodedSegment(relative)) else { throw LegacyError.notFoundPage }
        guard let row = try await files.file(bucket: core.buckets.uploads, objectKey: key),
              let file = try await files.readableFile(id: row.id, by: session.userID),
              let data = try await core.blobs.get(bucket: file.bucket, key: file.objectKey, maximumBytes: Self.voiceLimit * 4)
        else { throw LegacyError.notFoundPage }
        let name = key.split(separator: "/").last.map(String.init) ?? key
        return FileResponse(
            bytes: ByteBuffer(bytes: data), filename: name, lastModified: file.createdAt, etag: "\"\(file.id)-\(data.count)\""
        ).response(to: request)
    }

    /// The key a relative path names after resolving `.` and `..`; nil for the root itself (a
    /// directory, 404); 403 when `..` climbs above the root (§4).
    static func normalisedKey(_ path: String) throws -> String? {
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..":
                guard !segments.isEmpty else { throw LegacyError.forbiddenPage }
                segments.removeLast()
            default:
                segments.append(segment)
            }
        }
        return segments.isEmpty ? nil : segments.joined(separator: "/")
    }

    /// The request's multipart form; a body over `limit` is the route's "too large" error.
    static func form(of request: Request, limit: Int, tooLarge: LegacyError) async throws -> MultipartForm {
        guard let boundary = MultipartBoundary.parse(contentType: request.headers[.contentType]) else { throw noFile }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge
        }
        guard let form = MultipartForm.parse(body, boundary: boundary) else { throw noFile }
        return form
    }

    /// The `file` part with an allowed extension (text after the last `.`, lowercased).
    static func file(in form: MultipartForm, extensions: Set<String>) throws -> MultipartForm.Part {
        guard let part = form.file(named: "file"), let filename = part.filename else { throw noFile }
        guard !filename.isEmpty, let dot = filename.lastIndex(of: "."),
              extensions.contains(filename[filename.index(after: dot)...].lowercased())
        else { throw invalidType }
        return part
    }

    func store(_ part: MultipartForm.Part, purpose: UploadPurpose, uploaderID: Int64, tooLarge: LegacyError) async throws -> StoredFile {
        let body = part.body
        let content = AsyncStream<ByteBuffer> { continuation in
            continuation.yield(body)
            continuation.finish()
        }
        do {
            return try await files.store(
                UploadRequest(uploaderID: uploaderID, purpose: purpose, filename: part.filename ?? "file", claimedType: part.contentType),
                content: content)
        } catch let error as FileError {
            switch error {
            case .tooLarge: throw tooLarge
            case .unsupportedType, .contentMismatch: throw Self.invalidType
            case .storageFailed, .storageUnavailable, .notFound: throw Self.storageFailed
            }
        }
    }
}
