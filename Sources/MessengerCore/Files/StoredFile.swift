import Foundation

/// A `files` row: one stored object and who uploaded it.
public struct StoredFile: Sendable, Equatable {
    public let id: Int64
    public let uploaderID: Int64
    public let bucket: String
    public let objectKey: String
    /// The name the uploader gave, control characters removed; never used in keys or paths.
    public let filename: String
    public let mimeType: String?
    public let sizeBytes: Int64?
    public let createdAt: Date

    public init(
        id: Int64, uploaderID: Int64, bucket: String, objectKey: String, filename: String, mimeType: String?,
        sizeBytes: Int64?, createdAt: Date
    ) {
        self.id = id
        self.uploaderID = uploaderID
        self.bucket = bucket
        self.objectKey = objectKey
        self.filename = filename
        self.mimeType = mimeType
        self.sizeBytes = sizeBytes
        self.createdAt = createdAt
    }

    /// User uploads get the safe content-disposition rule in every URL (D-3).
    public var uploadDescription: UploadedObjectDescription {
        UploadedObjectDescription(filename: filename, mimeType: mimeType)
    }
}
