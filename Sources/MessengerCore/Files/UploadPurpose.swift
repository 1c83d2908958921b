/// What an upload is for. Each purpose has its own type allow-list, size limit, bucket and key
/// layout (see docs/files.md, "Storage conventions").
public enum UploadPurpose: String, Sendable, CaseIterable {
    /// `POST /files`: any allowed type, for messages or as a later avatar.
    case attachment
    /// Legacy `POST /api/upload/avatar`: raster images only.
    case avatar
    /// Legacy `POST /api/upload/voice`: audio only.
    case voice

    /// `ALLOWED_UPLOAD_MIME_TYPES`' default (jwt-api.md §9.2).
    public static let defaultAttachmentTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
        "audio/webm", "audio/ogg", "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/wav",
        "video/mp4", "video/webm", "video/quicktime",
        "application/pdf", "text/plain", "application/zip", "application/octet-stream",
    ]

    public static let voiceTypes: Set<String> = [
        "audio/webm", "audio/ogg", "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/aac", "audio/wav",
    ]

    /// The types this purpose accepts. The active-content deny-list is applied before, always.
    public func allowedTypes(attachmentTypes: Set<String>) -> Set<String> {
        switch self {
        case .attachment: attachmentTypes
        case .avatar: AvatarImageTypes.allowed
        case .voice: Self.voiceTypes
        }
    }

    /// The legacy limits (legacy-api.md §5.11, §5.12); attachments follow `MAX_FILE_SIZE_MB`.
    public func maximumBytes(attachmentLimit: Int) -> Int {
        switch self {
        case .attachment: attachmentLimit
        case .avatar: 5 << 20
        case .voice: 10 << 20
        }
    }
}
