/// Where a user's avatar is stored, as read from `files`; signed into a URL per response.
struct AvatarObject: Sendable, Equatable {
    let bucket: String
    let key: String
    let filename: String
    let mimeType: String?

    init?(bucket: String?, key: String?, filename: String?, mimeType: String?) {
        guard let bucket, let key, let filename else { return nil }
        self.bucket = bucket
        self.key = key
        self.filename = filename
        self.mimeType = mimeType
    }

    /// Avatars are user uploads: their URL gets the safe content-disposition rule (D-3).
    func url(signedBy signer: any ObjectURLSigning) -> String? {
        signer.url(bucket: bucket, key: key, upload: UploadedObjectDescription(filename: filename, mimeType: mimeType))
    }
}
