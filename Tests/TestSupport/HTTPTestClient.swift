import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP requests to a gateway under test, answered as status, headers and body.
public enum HTTPTestClient {
    public struct Reply: Sendable {
        public let status: Int
        public let headers: HTTPHeaders
        public let body: Data

        public var text: String { String(decoding: body, as: UTF8.self) }

        public func json() throws -> Any {
            try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])
        }

        public func object() throws -> [String: Any] {
            guard let object = try json() as? [String: Any] else {
                throw ReplyError.notAnObject(text)
            }
            return object
        }
    }

    public enum ReplyError: Error {
        case notAnObject(String)
    }

    public static func request(
        _ url: String,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        body: Data? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let collected = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: collected))
    }

    /// A JSON request body from a dictionary literal.
    public static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }
}
