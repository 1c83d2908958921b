import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// Looking at the object URLs a gateway hands out: the gateway is started against the real S3
/// server (so URLs are SigV4-presigned), and redirects are fetched without following them, which
/// `HTTPTestClient` would do.
enum ObjectURLProbe {
    /// Gateway settings that sign URLs for the test S3 server, rate limits off.
    static func gatewayEnvironment() throws -> [String: String] {
        [
            "RATE_LIMIT_ENABLED": "false",
            "S3_ENDPOINT": try TestEnvironment.required("S3_ENDPOINT"),
            "S3_ACCESS_KEY": try TestEnvironment.required("S3_ACCESS_KEY"),
            "S3_SECRET_KEY": try TestEnvironment.required("S3_SECRET_KEY"),
        ]
    }

    struct Redirect {
        let status: Int
        let headers: HTTPHeaders
        let body: String

        var location: String? { headers.first(name: "Location") }
    }

    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// An authenticated GET whose answer is returned as is, a 302 included.
    static func get(_ url: String, accessToken: String?) async throws -> Redirect {
        var request = HTTPClientRequest(url: url)
        if let accessToken { request.headers.add(name: "Authorization", value: "Bearer \(accessToken)") }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Redirect(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// The query parameters of a URL, decoded.
    static func query(of url: String) -> [String: String] {
        let items = URLComponents(string: url)?.queryItems ?? []
        return Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
    }
}
