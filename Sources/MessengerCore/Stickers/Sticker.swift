/// One sticker of the shared catalogue, with the stored object of its image.
public struct Sticker: Sendable, Equatable {
    public let id: Int64
    public let label: String
    public let packName: String
    public let imageBucket: String
    /// Empty when the image was never stored (§3.7.2 answers `Sticker image unavailable`).
    public let imageKey: String

    public init(id: Int64, label: String, packName: String, imageBucket: String, imageKey: String) {
        self.id = id
        self.label = label
        self.packName = packName
        self.imageBucket = imageBucket
        self.imageKey = imageKey
    }

    /// The URL of the image, or nil when there is no stored image or the store cannot sign it.
    /// Sticker images are trusted seed data, so the URL carries no download disposition
    /// (jwt-api.md §1.9).
    public func imageURL(signedBy signer: any ObjectURLSigning) -> String? {
        guard !imageBucket.isEmpty, !imageKey.isEmpty else { return nil }
        return signer.url(bucket: imageBucket, key: imageKey, upload: nil)
    }
}
