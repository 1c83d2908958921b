import Foundation
import NIOCore

/// Where file objects live: an S3-compatible server, or the local disk of a single-node install.
/// Both API generations and the migrator store and find objects only through this.
public protocol BlobStore: Sendable {
    func put(bucket: String, key: String, data: Data, contentType: String) async throws

    /// Stores the bytes of `chunks` as one object and returns its size. Memory stays bounded
    /// whatever the size: the S3 store sends a multipart upload once more than one part's worth
    /// has arrived, the local store appends to a temporary file.
    ///
    /// Nothing is left behind when it fails: if `chunks` throws, or the store refuses, the partial
    /// object is discarded and the error is rethrown (an error of `chunks` unchanged).
    func write<Chunks: AsyncSequence>(
        bucket: String, key: String, contentType: String, chunks: Chunks
    ) async throws -> Int64 where Chunks.Element == ByteBuffer

    func exists(bucket: String, key: String) async throws -> Bool

    /// The whole object, or nil when it does not exist. For small objects (tests, seed data,
    /// migration checks); downloads go through signed URLs, never through the gateway.
    func get(bucket: String, key: String, maximumBytes: Int) async throws -> Data?

    /// Removes the object; removing a missing object is not an error (S3 semantics).
    func delete(bucket: String, key: String) async throws
}

public enum BlobStoreError: Error, Equatable, CustomStringConvertible {
    /// The key or bucket could escape its directory or is not a valid object name.
    case unsafeName(String)
    /// The store answered with an unexpected HTTP status.
    case unexpectedStatus(Int, operation: String)
    /// The store could not be reached (connection refused, timeout, reset).
    case unreachable(operation: String)
    /// The store answered with something this client cannot read (e.g. no upload id).
    case malformedResponse(operation: String)
    /// An object larger than the caller's `maximumBytes`.
    case tooLarge(operation: String)

    public var description: String {
        switch self {
        case .unsafeName(let name): "unsafe object name \(name)"
        case .unexpectedStatus(let status, let operation): "object store answered \(status) to \(operation)"
        case .unreachable(let operation): "object store unreachable during \(operation)"
        case .malformedResponse(let operation): "object store answered \(operation) with an unreadable body"
        case .tooLarge(let operation): "object larger than allowed during \(operation)"
        }
    }
}
