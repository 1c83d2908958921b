import Foundation
import NIOCore
import NIOPosix

/// Objects as files under `root/<bucket>/<key>`, for a gateway without S3. Names are validated
/// before any path is built, so no key can reach outside `root`.
public struct LocalBlobStore: BlobStore {
    public let root: URL
    private let fileIO: NonBlockingFileIO

    /// Writes are gathered into blocks of this size before they go to disk.
    static let writeBlockSize = 1 << 20

    public init(root: URL) {
        self.root = root
        self.fileIO = NonBlockingFileIO(threadPool: .singleton)
    }

    public func put(bucket: String, key: String, data: Data, contentType: String) async throws {
        _ = try await write(bucket: bucket, key: key, contentType: contentType, chunks: SingleBuffer(ByteBuffer(bytes: data)))
    }

    /// Appends to a temporary file under `root/.incoming/` and renames it into place, so a reader
    /// never sees half an object and a failed upload leaves nothing under the bucket.
    public func write<Chunks: AsyncSequence>(
        bucket: String, key: String, contentType: String, chunks: Chunks
    ) async throws -> Int64 where Chunks.Element == ByteBuffer {
        let destination = try location(bucket: bucket, key: key)
        let incoming = root.appendingPathComponent(".incoming")
        try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = incoming.appendingPathComponent(UUID().uuidString)
        do {
            let size = try await fileIO.withFileHandle(
                path: temporary.path, mode: .write, flags: .allowFileCreation(posixMode: 0o600)
            ) { handle in
                var size: Int64 = 0
                var block = ByteBuffer()
                for try await var chunk in chunks {
                    size += Int64(chunk.readableBytes)
                    block.writeBuffer(&chunk)
                    if block.readableBytes >= Self.writeBlockSize {
                        try await fileIO.write(fileHandle: handle, buffer: block)
                        block.clear()
                    }
                }
                try await fileIO.write(fileHandle: handle, buffer: block)
                return size
            }
            try await fileIO.rename(path: temporary.path, newName: destination.path)
            return size
        } catch {
            try? await fileIO.remove(path: temporary.path)
            throw error
        }
    }

    public func exists(bucket: String, key: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: try location(bucket: bucket, key: key).path)
    }

    public func get(bucket: String, key: String, maximumBytes: Int) async throws -> Data? {
        let file = try location(bucket: bucket, key: key)
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        if let size = attributes[.size] as? Int, size > maximumBytes { throw BlobStoreError.tooLarge(operation: "GET") }
        return try Data(contentsOf: file)
    }

    public func delete(bucket: String, key: String) async throws {
        let file = try location(bucket: bucket, key: key)
        guard FileManager.default.fileExists(atPath: file.path) else { return }
        try await fileIO.remove(path: file.path)
    }

    public func location(bucket: String, key: String) throws -> URL {
        guard BlobKey.isSafeBucketName(bucket) else { throw BlobStoreError.unsafeName(bucket) }
        guard BlobKey.isSafeObjectKey(key) else { throw BlobStoreError.unsafeName(key) }
        return root.appendingPathComponent(bucket).appendingPathComponent(key)
    }
}

/// One buffer as a byte-chunk sequence, so `put` and `write` share one code path.
struct SingleBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    init(_ buffer: ByteBuffer) {
        self.buffer = buffer
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async throws -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(buffer: buffer)
    }
}
