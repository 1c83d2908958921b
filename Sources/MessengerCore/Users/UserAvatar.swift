/// The stored object behind a user's avatar: where it is, and what its uploader said it is, so a
/// URL to it can carry the user-upload disposition (jwt-api.md §1.9, D-3).
public struct UserAvatar: Sendable, Equatable {
    public let fileID: Int64
    public let bucket: String
    public let objectKey: String
    public let filename: String
    public let mimeType: String?

    public init(fileID: Int64, bucket: String, objectKey: String, filename: String, mimeType: String?) {
        self.fileID = fileID
        self.bucket = bucket
        self.objectKey = objectKey
        self.filename = filename
        self.mimeType = mimeType
    }

    /// Avatars are user uploads, never trusted seed data.
    public var uploadDescription: UploadedObjectDescription {
        UploadedObjectDescription(filename: filename, mimeType: mimeType)
    }

    /// The URL through which clients fetch it, or nil when the store cannot sign this object.
    public func url(signedBy signer: any ObjectURLSigning) -> String? {
        signer.url(bucket: bucket, key: objectKey, upload: uploadDescription)
    }
}
