import Foundation

extension ObjectURLPresigner: ObjectURLSigning {
    public func url(bucket: String, key: String, upload: UploadedObjectDescription?) -> String? {
        url(bucket: bucket, key: key, disposition: upload.map(Self.disposition), now: Date())
    }

    static func disposition(for upload: UploadedObjectDescription) -> ContentDisposition {
        ContentDisposition.forUserUpload(filename: upload.filename, mimeType: upload.mimeType ?? "application/octet-stream")
    }
}

extension LocalBlobURLSigner: ObjectURLSigning {
    public func url(bucket: String, key: String, upload: UploadedObjectDescription?) -> String? {
        url(bucket: bucket, key: key, disposition: upload.map(ObjectURLPresigner.disposition), now: Date())
    }
}
