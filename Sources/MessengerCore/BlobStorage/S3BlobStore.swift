import AsyncHTTPClient
import Foundation
import NIOCore

/// The S3 client: path-style requests signed with SigV4 on async-http-client.
public struct S3BlobStore: BlobStore {
    let settings: ObjectStoreSettings
    let signer: SigV4Signer
    let client: HTTPClient
    let timeout: TimeAmount

    public init(settings: ObjectStoreSettings, client: HTTPClient = .shared, timeout: TimeAmount = .seconds(30)) {
        self.settings = settings
        self.signer = SigV4Signer(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region)
        self.client = client
        self.timeout = timeout
    }

    public func put(bucket: String, key: String, data: Data, contentType: String) async throws {
        let status = try await send(
            "PUT", bucket: bucket, key: key, headers: [("Content-Type", contentType)], body: data)
        guard (200..<300).contains(status) else { throw BlobStoreError.unexpectedStatus(status, operation: "PUT") }
    }

    public func exists(bucket: String, key: String) async throws -> Bool {
        let status = try await send("HEAD", bucket: bucket, key: key, headers: [], body: nil)
        switch status {
        case 200..<300: return true
        case 404: return false
        default: throw BlobStoreError.unexpectedStatus(status, operation: "HEAD")
        }
    }

    private func send(_ method: String, bucket: String, key: String, headers: [(String, String)], body: Data?) async throws -> Int {
        guard BlobKey.isSafeBucketName(bucket) else { throw BlobStoreError.unsafeName(bucket) }
        guard BlobKey.isSafeObjectKey(key) else { throw BlobStoreError.unsafeName(key) }
        let path = "/\(bucket)/\(key)"
        let payloadHash = body.map { SigV4Signer.payloadHash(of: $0) } ?? SigV4Signer.emptyPayloadHash
        let signed = signer.signHeaders(
            method: method, host: settings.hostAndPort, path: path, headers: headers, payloadHash: payloadHash, date: Date())
        var request = HTTPClientRequest(url: settings.endpoint + S3URIEncoding.path(path))
        request.method = .init(rawValue: method)
        for (name, value) in headers + signed { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: timeout)
        // Drain the body so the connection can be reused.
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }
}
