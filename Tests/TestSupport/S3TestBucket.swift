import AsyncHTTPClient
import Foundation
import MessengerCore
import NIOCore

/// A fresh bucket on the test S3 server for one test, so "nothing was stored" can be checked by
/// listing it while other tests upload elsewhere in parallel.
public struct S3TestBucket: Sendable {
    public let name: String
    public let settings: ObjectStoreSettings

    /// The S3 server `make test` started (S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY).
    public static func settings() throws -> ObjectStoreSettings {
        ObjectStoreSettings(
            endpoint: try TestEnvironment.required("S3_ENDPOINT"),
            accessKey: try TestEnvironment.required("S3_ACCESS_KEY"),
            secretKey: try TestEnvironment.required("S3_SECRET_KEY"))
    }

    /// Creates `files-<random>` on the test server.
    public static func create() async throws -> S3TestBucket {
        let bucket = S3TestBucket(name: "files-\(UUID().uuidString.prefix(12).lowercased())", settings: try settings())
        let status = try await bucket.send("PUT", path: "/\(bucket.name)").status
        guard (200..<300).contains(status) else { throw BucketError.status("CreateBucket", status) }
        return bucket
    }

    /// Every object key in the bucket (ListObjectsV2, first 1000).
    public func keys() async throws -> [String] {
        let reply = try await send("GET", path: "/\(name)", query: [("list-type", "2")])
        guard reply.status == 200 else { throw BucketError.status("ListObjectsV2", reply.status) }
        var keys: [String] = []
        var rest = Substring(reply.body)
        while let open = rest.range(of: "<Key>"), let close = rest.range(of: "</Key>", range: open.upperBound..<rest.endIndex) {
            keys.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        return keys
    }

    public enum BucketError: Error {
        case status(String, Int)
    }

    private func send(_ method: String, path: String, query: [(String, String)] = []) async throws -> (status: Int, body: String) {
        let signer = SigV4Signer(accessKey: settings.accessKey, secretKey: settings.secretKey, region: settings.region)
        let headers = signer.signHeaders(
            method: method, host: settings.hostAndPort, path: path, query: query, payloadHash: SigV4Signer.emptyPayloadHash,
            date: Date())
        let queryString = query.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        var request = HTTPClientRequest(url: settings.endpoint + path + (queryString.isEmpty ? "" : "?" + queryString))
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), String(buffer: body))
    }
}
