import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport

/// A browser of the legacy SPA talking to a gateway under test: keeps the `session` cookie the
/// gateway sets, never follows redirects, and sends JSON the way the SPA does.
final class LegacyBrowser: @unchecked Sendable {
    let baseURL: String
    /// The `session` cookie value; set by responses, or by the test to replay a copied cookie.
    var cookie: String?

    init(gateway: GatewayProcess, cookie: String? = nil) {
        self.baseURL = gateway.baseURL
        self.cookie = cookie
    }

    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: Any? { try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
        var setCookie: String? { headers["Set-Cookie"].first { $0.hasPrefix("session=") } }
        var error: String? { object["error"] as? String }
    }

    static let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    @discardableResult
    func request(
        _ method: HTTPMethod, _ path: String, json: Any? = nil, body: Data? = nil, contentType: String? = "application/json",
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let contentType { request.headers.add(name: "Content-Type", value: contentType) }
        if let cookie { request.headers.add(name: "Cookie", value: "session=\(cookie)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let json {
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json, options: [.fragmentsAllowed])))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let collected = try await response.body.collect(upTo: 32 << 20)
        let reply = Reply(status: Int(response.status.code), headers: response.headers, body: Data(buffer: collected))
        if let setCookie = reply.setCookie {
            let value = setCookie.dropFirst("session=".count).prefix { $0 != ";" }
            cookie = value.isEmpty ? nil : String(value)
        }
        return reply
    }

    /// Registers (unique name unless `exact`) through POST /web-api/register; the browser is then
    /// signed in.
    static func register(on gateway: GatewayProcess, username: String = "user", password: String = "secret-pass", exact: Bool = false) async throws -> (LegacyBrowser, Int64, String) {
        let name = exact ? username : "\(username)_\(UUID().uuidString.prefix(6).lowercased())"
        let browser = LegacyBrowser(gateway: gateway)
        let reply = try await browser.request(.POST, "/web-api/register", json: ["username": name, "password": password])
        guard reply.status == 201, let id = (reply.object["id"] as? NSNumber)?.int64Value else {
            throw APISession.SessionError.unexpected("legacy register", reply.status, reply.text)
        }
        return (browser, id, name)
    }
}
