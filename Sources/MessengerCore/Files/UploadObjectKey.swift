import Foundation

/// Where an upload of each purpose is stored (the storage conventions shared by the JWT API, the
/// legacy routes and the migrator; docs/files.md). No part of a key comes from the client.
public enum UploadObjectKey {
    /// - Returns: bucket and key for a new object of `type` named `filename` by `uploaderID`.
    public static func make(
        purpose: UploadPurpose, uploaderID: Int64, type: String, filename: String, buckets: BucketSettings
    ) -> (bucket: String, key: String) {
        switch purpose {
        case .attachment:
            // jwt-api.md §3.5.1: `uploads/<uuid v4>_<sanitised name>` in the uploads bucket. The
            // 122 random bits of the UUID make it unguessable; the name part is only ever the
            // sanitised last path component, so it cannot climb out of the prefix.
            return (buckets.uploads, "uploads/\(UUID().uuidString.lowercased())_\(UploadFilename.sanitised(filename))")
        case .avatar:
            return (buckets.avatars, "avatars/\(uploaderID)/\(randomHex(bytes: 6)).\(fileExtension(for: type))")
        case .voice:
            return (buckets.uploads, "voice/voice_\(uploaderID)_\(randomHex(bytes: 4)).\(fileExtension(for: type))")
        }
    }

    /// The extension api_legacy used for each stored type.
    public static func fileExtension(for type: String) -> String {
        switch type {
        case "image/jpeg": "jpg"
        case "image/png": "png"
        case "image/gif": "gif"
        case "image/webp": "webp"
        case "image/heic": "heic"
        case "image/heif": "heif"
        case "audio/webm", "video/webm": "webm"
        case "audio/ogg": "ogg"
        case "audio/mpeg": "mp3"
        case "audio/wav": "wav"
        case "audio/mp4", "audio/x-m4a": "m4a"
        case "audio/aac": "aac"
        default: "bin"
        }
    }

    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return LowercaseHex.encode((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
