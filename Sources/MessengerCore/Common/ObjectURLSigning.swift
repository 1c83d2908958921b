/// Builds the short-lived URL through which a client fetches a stored object (presigned S3 GET,
/// or the gateway's own signed URL for the local-disk store). One rule for both API generations.
/// Nil when no URL can be made for the key (the field is then `null`).
public protocol ObjectURLSigning: Sendable {
    /// `upload` describes a user upload, whose URL gets the safe content-disposition rule
    /// (jwt-api.md §3.5.2, D-3); trusted seed objects such as stickers pass nil.
    func url(bucket: String, key: String, upload: UploadedObjectDescription?) -> String?
}

public struct UploadedObjectDescription: Sendable, Equatable {
    public let filename: String
    public let mimeType: String?

    public init(filename: String, mimeType: String?) {
        self.filename = filename
        self.mimeType = mimeType
    }
}
