import Foundation
import NIOHTTP1

/// A JWT API user talking to a gateway under test: registers and logs in through the real
/// endpoints, then sends authenticated requests.
public struct APISession: Sendable {
    public let baseURL: String
    public let userID: Int64
    public let username: String
    public let password: String
    public let accessToken: String
    public let refreshToken: String

    /// Registers `username` (a unique suffix is added unless `exact`) and logs in.
    public static func register(
        on gateway: GatewayProcess, username: String = "user", password: String = "secret-password", exact: Bool = false
    ) async throws -> APISession {
        let name = exact ? username : "\(username)_\(UUID().uuidString.prefix(8).lowercased())"
        let registered = try await HTTPTestClient.request(
            gateway.baseURL + "/auth/register", method: .POST, headers: [("Content-Type", "application/json")],
            body: HTTPTestClient.json(["username": name, "email": "\(name)@example.test", "password": password]))
        guard registered.status == 201 else { throw SessionError.unexpected("register", registered.status, registered.text) }
        return try await login(on: gateway, username: name, password: password)
    }

    public static func login(on gateway: GatewayProcess, username: String, password: String) async throws -> APISession {
        let reply = try await HTTPTestClient.request(
            gateway.baseURL + "/auth/login", method: .POST, headers: [("Content-Type", "application/json")],
            body: HTTPTestClient.json(["username": username, "password": password]))
        guard reply.status == 200 else { throw SessionError.unexpected("login", reply.status, reply.text) }
        let body = try reply.object()
        guard let access = body["access_token"] as? String, let refresh = body["refresh_token"] as? String,
              let id = (body["user_id"] as? NSNumber)?.int64Value
        else { throw SessionError.unexpected("login", reply.status, reply.text) }
        return APISession(
            baseURL: gateway.baseURL, userID: id, username: username, password: password, accessToken: access, refreshToken: refresh)
    }

    /// An authenticated request; `json` is sent as an application/json body.
    public func request(
        _ method: HTTPMethod, _ path: String, json: [String: Any]? = nil, headers: [(String, String)] = []
    ) async throws -> HTTPTestClient.Reply {
        var allHeaders = [("Authorization", "Bearer \(accessToken)")] + headers
        var body: Data?
        if let json {
            allHeaders.append(("Content-Type", "application/json"))
            body = try HTTPTestClient.json(json)
        }
        return try await HTTPTestClient.request(baseURL + path, method: method, headers: allHeaders, body: body)
    }

    public enum SessionError: Error, CustomStringConvertible {
        case unexpected(String, Int, String)
        public var description: String {
            switch self {
            case .unexpected(let step, let status, let body): "\(step) answered \(status): \(body)"
            }
        }
    }
}
