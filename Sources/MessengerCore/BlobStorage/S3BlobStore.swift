import AsyncHTTPClient
import Foundation
import NIOCore

/// The S3 client: path-style requests signed with SigV4 on async-http-client.
///
/// Streams are sent as one PUT when they fit in one part (``partSize``), else as a multipart
/// upload whose parts are sent as they fill, so at most one part is held in memory. Every body is
/// hashed into `x-amz-content-sha256`, so the store verifies what it received.
public struct S3BlobStore: BlobStore {
    let settings: ObjectStoreSettings
    let signer: SigV4Signer
    let client: HTTPClient
    let timeout: TimeAmount
    /// Bytes per multipart part, and the size above which a stream becomes a multipart upload.
    /// S3 requires at least 5 MiB for every part but the last.
    let partSize: Int

    public static let defaultPartSize = 8 << 20

    /// The process's client for object stores. A short connect timeout: async-http-client retries
    /// a failed connect until this timeout, so it is how long an upload waits on a store that is
    /// down before answering 503. Never shut down (a static lives as long as the process).
    public static let sharedClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: .seconds(3), read: .seconds(60))))

    public init(
        settings: ObjectStoreSettings, client: HTTPClient = S3BlobStore.sharedClient, timeout: TimeAmount = .seconds(120),
        partSize: Int = S3BlobStore.defaultPartSize
    ) {
        self.settings = settings
        self.signer = SigV4Signer(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region)
        self.client = client
        self.timeout = timeout
        self.partSize = max(partSize, 5 << 20)
    }

    public func put(bucket: String, key: String, data: Data, contentType: String) async throws {
        try await putObject(bucket: bucket, key: key, body: ByteBuffer(bytes: data), contentType: contentType)
    }

    public func write<Chunks: AsyncSequence>(
        bucket: String, key: String, contentType: String, chunks: Chunks
    ) async throws -> Int64 where Chunks.Element == ByteBuffer {
        var iterator = chunks.makeAsyncIterator()
        var part = ByteBuffer()
        var size: Int64 = 0
        var ended = false
        /// Reads until `part` holds more than `limit` bytes or the stream ends.
        func fill(beyond limit: Int) async throws {
            while !ended, part.readableBytes <= limit {
                guard var chunk = try await iterator.next() else {
                    ended = true
                    return
                }
                size += Int64(chunk.readableBytes)
                part.writeBuffer(&chunk)
            }
        }
        // The first part decides: a stream that ends within it is a single PUT.
        try await fill(beyond: partSize)
        if ended {
            try await putObject(bucket: bucket, key: key, body: part, contentType: contentType)
            return size
        }
        let upload = try await MultipartUpload.start(on: self, bucket: bucket, key: key, contentType: contentType)
        do {
            var etags: [String] = []
            while part.readableBytes > 0 || !ended {
                try await fill(beyond: partSize - 1)
                if part.readableBytes == 0 { break }
                guard let slice = part.readSlice(length: min(part.readableBytes, partSize)) else { break }
                etags.append(try await upload.send(part: slice, number: etags.count + 1))
                part.discardReadBytes()
            }
            try await upload.complete(etags: etags)
            return size
        } catch {
            await upload.abort()
            throw error
        }
    }

    public func exists(bucket: String, key: String) async throws -> Bool {
        let reply = try await send("HEAD", bucket: bucket, key: key)
        switch reply.status {
        case 200..<300: return true
        case 404: return false
        default: throw BlobStoreError.unexpectedStatus(reply.status, operation: "HEAD")
        }
    }

    public func get(bucket: String, key: String, maximumBytes: Int) async throws -> Data? {
        // Error documents are read whatever the caller's limit; only the object counts against it.
        let reply = try await send("GET", bucket: bucket, key: key, maximumResponseBytes: max(maximumBytes, 1 << 16))
        switch reply.status {
        case 200..<300:
            guard reply.body.readableBytes <= maximumBytes else { throw BlobStoreError.tooLarge(operation: "GET") }
            return Data(buffer: reply.body)
        case 404: return nil
        default: throw BlobStoreError.unexpectedStatus(reply.status, operation: "GET")
        }
    }

    public func delete(bucket: String, key: String) async throws {
        let reply = try await send("DELETE", bucket: bucket, key: key)
        guard (200..<300).contains(reply.status) || reply.status == 404 else {
            throw BlobStoreError.unexpectedStatus(reply.status, operation: "DELETE")
        }
    }

    private func putObject(bucket: String, key: String, body: ByteBuffer, contentType: String) async throws {
        let reply = try await send("PUT", bucket: bucket, key: key, headers: [("Content-Type", contentType)], body: body)
        guard (200..<300).contains(reply.status) else { throw BlobStoreError.unexpectedStatus(reply.status, operation: "PUT") }
    }

    struct Reply {
        let status: Int
        let headers: [(String, String)]
        let body: ByteBuffer

        func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
    }

    /// One signed request. Transport failures become ``BlobStoreError/unreachable(operation:)``;
    /// the response body is read fully (up to `maximumResponseBytes`) so the connection is reused.
    func send(
        _ method: String, bucket: String, key: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: ByteBuffer? = nil, maximumResponseBytes: Int = 1 << 20
    ) async throws -> Reply {
        guard BlobKey.isSafeBucketName(bucket) else { throw BlobStoreError.unsafeName(bucket) }
        guard BlobKey.isSafeObjectKey(key) else { throw BlobStoreError.unsafeName(key) }
        let path = "/\(bucket)/\(key)"
        let payloadHash = body.map { SigV4Signer.payloadHash(of: $0.readableBytesView) } ?? SigV4Signer.emptyPayloadHash
        let signed = signer.signHeaders(
            method: method, host: settings.hostAndPort, path: path, query: query, headers: headers,
            payloadHash: payloadHash, date: Date())
        let queryString = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQueryString(query)
        var request = HTTPClientRequest(url: settings.endpoint + S3URIEncoding.path(path) + queryString)
        request.method = .init(rawValue: method)
        for (name, value) in headers + signed { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw BlobStoreError.unreachable(operation: method)
        }
        let collected: ByteBuffer
        do {
            collected = try await response.body.collect(upTo: maximumResponseBytes)
        } catch is NIOTooManyBytesError {
            throw BlobStoreError.tooLarge(operation: method)
        } catch {
            throw BlobStoreError.unreachable(operation: method)
        }
        return Reply(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: collected)
    }
}
