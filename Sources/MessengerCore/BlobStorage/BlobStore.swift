import Foundation

/// Where file objects live: an S3-compatible server, or the local disk of a single-node install.
/// Both API generations and the migrator store and find objects only through this.
public protocol BlobStore: Sendable {
    func put(bucket: String, key: String, data: Data, contentType: String) async throws
    func exists(bucket: String, key: String) async throws -> Bool
}

public enum BlobStoreError: Error, Equatable, CustomStringConvertible {
    /// The key or bucket could escape its directory or is not a valid object name.
    case unsafeName(String)
    /// The store answered with an unexpected HTTP status.
    case unexpectedStatus(Int, operation: String)

    public var description: String {
        switch self {
        case .unsafeName(let name): "unsafe object name \(name)"
        case .unexpectedStatus(let status, let operation): "object store answered \(status) to \(operation)"
        }
    }
}
