/// The MIME types an avatar may have: raster images browsers show as pictures (jwt-api.md §3.2.7).
/// SVG is excluded because it is a document that can carry script.
public enum AvatarImageTypes {
    public static let allowed: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
    ]

    /// Case and parameters (`image/PNG; q=1`) do not matter; a missing type is not an image.
    public static func allows(_ mimeType: String?) -> Bool {
        guard let mimeType else { return false }
        return allowed.contains(ContentDisposition.normalisedType(mimeType))
    }
}
