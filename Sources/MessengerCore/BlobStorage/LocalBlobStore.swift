import Foundation

/// Objects as files under `root/<bucket>/<key>`, for a gateway without S3. Names are validated
/// before any path is built, so no key can reach outside `root`.
public struct LocalBlobStore: BlobStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func put(bucket: String, key: String, data: Data, contentType: String) async throws {
        let file = try location(bucket: bucket, key: key)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file, options: .atomic)
    }

    public func exists(bucket: String, key: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: try location(bucket: bucket, key: key).path)
    }

    public func location(bucket: String, key: String) throws -> URL {
        guard BlobKey.isSafeBucketName(bucket) else { throw BlobStoreError.unsafeName(bucket) }
        guard BlobKey.isSafeObjectKey(key) else { throw BlobStoreError.unsafeName(key) }
        return root.appendingPathComponent(bucket).appendingPathComponent(key)
    }
}
