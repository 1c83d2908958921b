/// One upload as an adapter hands it to ``FileService/store(_:content:)``.
public struct UploadRequest: Sendable, Equatable {
    public var uploaderID: Int64
    public var purpose: UploadPurpose
    /// The client's file name, as sent; only stored for display.
    public var filename: String
    /// The part's `Content-Type`; nil when absent. Only a hint (see ``UploadTypePolicy``).
    public var claimedType: String?
    /// Overrides the purpose's limit (``UploadPurpose/maximumBytes(attachmentLimit:)``).
    public var maximumBytes: Int?

    public init(uploaderID: Int64, purpose: UploadPurpose, filename: String, claimedType: String?, maximumBytes: Int? = nil) {
        self.uploaderID = uploaderID
        self.purpose = purpose
        self.filename = filename
        self.claimedType = claimedType
        self.maximumBytes = maximumBytes
    }
}
