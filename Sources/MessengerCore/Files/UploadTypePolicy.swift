/// Decides the MIME type an upload is stored with, or refuses it (jwt-api.md §3.5.1, D-3).
///
/// The content decides: the sniffed type is stored, and the uploader's claim only picks between
/// types one container can hold (`audio/webm` versus `video/webm`). Active content is refused
/// whether it is claimed or sniffed; an `image/*` claim the bytes contradict is refused too.
public struct UploadTypePolicy: Sendable {
    public let attachmentTypes: Set<String>

    public init(attachmentTypes: Set<String> = UploadPurpose.defaultAttachmentTypes) {
        // Active types never pass, even when an operator lists them.
        self.attachmentTypes = attachmentTypes.filter { !Self.isActive($0) }
    }

    /// Types a browser renders as a document or runs (jwt-api.md §3.5.1's list, plus every `+xml`).
    public static func isActive(_ type: String) -> Bool {
        ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml", "text/javascript",
         "application/javascript", "application/x-javascript", "application/ecmascript", "text/ecmascript"].contains(type)
            || type.hasSuffix("+xml")
    }

    /// - Parameters:
    ///   - claimed: the part's `Content-Type`, nil or empty when absent.
    ///   - prefix: the first ``ContentSniffer/prefixLength`` bytes (fewer for a shorter file).
    /// - Returns: the type to store, lower-case `type/subtype` without parameters.
    /// - Throws: ``FileError/unsupportedType`` or ``FileError/contentMismatch``.
    public func decide(claimed: String?, prefix: some Collection<UInt8>, purpose: UploadPurpose) throws -> String {
        let claim = claimed.map(ContentDisposition.normalisedType).flatMap { $0.isEmpty ? nil : $0 }
        if let claim, Self.isActive(claim) { throw FileError.unsupportedType }
        let sniffed: String
        switch ContentSniffer.sniff(prefix) {
        case .activeText: throw FileError.unsupportedType
        case .format(let format): sniffed = format
        case .plainText: sniffed = "text/plain"
        case .unknownBinary: sniffed = "application/octet-stream"
        }
        if let claim, claim.hasPrefix("image/"), Self.family(of: claim) != Self.family(of: sniffed) {
            throw FileError.contentMismatch
        }
        let allowed = purpose.allowedTypes(attachmentTypes: attachmentTypes)
        var stored = sniffed
        if let claim, Self.family(of: claim) == Self.family(of: sniffed), allowed.contains(claim) { stored = claim }
        if purpose == .voice { stored = Self.audioLabel(for: stored) }
        guard allowed.contains(stored) else {
            throw FileError.unsupportedType
        }
        return stored
    }

    /// Types that share one container format (and so one signature) belong to one family.
    static func family(of type: String) -> String {
        switch type {
        case "audio/webm", "video/webm": "webm"
        case "audio/mp4", "audio/x-m4a", "video/mp4", "video/quicktime", "audio/aac": type == "audio/aac" ? "aac" : "iso-media"
        case "audio/ogg", "video/ogg", "application/ogg": "ogg"
        case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave": "wav"
        case "audio/mpeg", "audio/mp3": "mpeg-audio"
        case "image/heic", "image/heif": "heif"
        case "image/jpeg", "image/jpg", "image/pjpeg": "jpeg"
        default: type
        }
    }

    /// Recorders label audio-only WebM and MP4 as video; a voice message is audio.
    static func audioLabel(for type: String) -> String {
        switch type {
        case "video/webm": "audio/webm"
        case "video/mp4", "video/quicktime", "audio/x-m4a": "audio/mp4"
        case "audio/x-wav", "audio/wave", "audio/vnd.wave": "audio/wav"
        case "audio/mp3": "audio/mpeg"
        case "video/ogg", "application/ogg": "audio/ogg"
        default: type
        }
    }
}
