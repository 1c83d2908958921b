import Foundation
import NIOCore

/// One S3 multipart upload in progress: CreateMultipartUpload, UploadPart per part,
/// CompleteMultipartUpload, or AbortMultipartUpload so no parts linger after a failure.
struct MultipartUpload {
    let store: S3BlobStore
    let bucket: String
    let key: String
    let uploadID: String

    static func start(on store: S3BlobStore, bucket: String, key: String, contentType: String) async throws -> MultipartUpload {
        let reply = try await store.send(
            "POST", bucket: bucket, key: key, query: [("uploads", "")], headers: [("Content-Type", contentType)],
            body: ByteBuffer())
        guard (200..<300).contains(reply.status) else {
            throw BlobStoreError.unexpectedStatus(reply.status, operation: "CreateMultipartUpload")
        }
        guard let uploadID = XMLElementText.first("UploadId", in: String(buffer: reply.body)), !uploadID.isEmpty else {
            throw BlobStoreError.malformedResponse(operation: "CreateMultipartUpload")
        }
        return MultipartUpload(store: store, bucket: bucket, key: key, uploadID: uploadID)
    }

    /// Sends part `number` (1-based) and returns its ETag.
    func send(part: ByteBuffer, number: Int) async throws -> String {
        let reply = try await store.send(
            "PUT", bucket: bucket, key: key, query: [("partNumber", String(number)), ("uploadId", uploadID)], body: part)
        guard (200..<300).contains(reply.status) else { throw BlobStoreError.unexpectedStatus(reply.status, operation: "UploadPart") }
        guard let etag = reply.header("ETag") else { throw BlobStoreError.malformedResponse(operation: "UploadPart") }
        return etag
    }

    func complete(etags: [String]) async throws {
        let parts = etags.enumerated().map { index, etag in
            "<Part><PartNumber>\(index + 1)</PartNumber><ETag>\(XMLElementText.escape(etag))</ETag></Part>"
        }
        let document = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
        let reply = try await store.send(
            "POST", bucket: bucket, key: key, query: [("uploadId", uploadID)], headers: [("Content-Type", "application/xml")],
            body: ByteBuffer(string: document))
        // S3 may answer 200 with an <Error> document when completion fails late.
        guard (200..<300).contains(reply.status), !String(buffer: reply.body).contains("<Error>") else {
            throw BlobStoreError.unexpectedStatus(reply.status, operation: "CompleteMultipartUpload")
        }
    }

    /// Best effort: a failed abort leaves parts the store's lifecycle rules clean up.
    func abort() async {
        _ = try? await store.send("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadID)])
    }
}

/// The little XML the S3 client reads and writes: one element's text, and escaping for values.
enum XMLElementText {
    static func first(_ element: String, in document: String) -> String? {
        guard let open = document.range(of: "<\(element)>"),
              let close = document.range(of: "</\(element)>", range: open.upperBound..<document.endIndex)
        else { return nil }
        return String(document[open.upperBound..<close.lowerBound])
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
