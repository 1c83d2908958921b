import Foundation
import Hummingbird
import MessengerCore

/// The user routes of jwt-api.md §3.2.2–§3.2.7. The literal routes (`/users/search`,
/// `/users/by-username/…`, `/users/me/avatar`) win over `/users/{id}…` because the router tries
/// literal segments before parameters (§1.10).
public struct UserController: Sendable {
    let directory: UserDirectory
    let editor: ProfileEditor
    let objectURLs: any ObjectURLSigning
    let authenticator: RequestAuthenticator
    let presence: PresenceTracker

    public init(core: CoreServices, authenticator: RequestAuthenticator) {
        directory = UserDirectory(core: core)
        editor = ProfileEditor(core: core)
        objectURLs = core.objectURLs
        self.authenticator = authenticator
        presence = core.presence
    }

    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.get("/users/search") { request, _ in try await search(request) }
        router.get("/users/by-username/:username") { request, context in try await byUsername(request, context) }
        router.put("/users/me/avatar") { request, _ in try await setAvatar(request) }
        router.get("/users/:id") { request, context in try await profile(request, context) }
        router.get("/users/:id/avatar") { request, context in try await avatar(request, context) }
        router.put("/users/:id") { request, context in try await update(request, context) }
    }

    static let userNotFound = APIError(.notFound, "User not found")
    static let noAvatar = APIError(.notFound, "No avatar")
    static let forbidden = APIError(.forbidden, "Forbidden")
    static let invalidUsername = APIError(.badRequest, "Username must be 3-20 characters: letters, digits, underscores only")
    static let usernameTaken = APIError(.conflict, "Username already taken")
    static let fileIDRequired = APIError(.badRequest, "file_id required")
    static let fileNotFound = APIError(.notFound, "File not found")
    static let notAnImage = APIError(.badRequest, "Avatar must be an image")

    func profile(_ request: Request, _ context: some RequestContext) async throws -> Response {
        _ = try await authenticator.identity(of: request)
        let id = try PathID.parse(context)
        guard let profile = try await directory.publicProfile(id: id) else { throw Self.userNotFound }
        var body = UserPublicJSON.body(of: profile, objectURLs: objectURLs)
        // Additive fields (docs/websocket.md, presence); an unreachable presence store reads as
        // offline and unknown rather than failing the profile.
        let status = try? await presence.status(of: id)
        if case .object(var fields) = body {
            fields["online"] = .bool(status?.online ?? false)
            fields["last_seen"] = JSONValue(rfc3339: status?.lastSeen)
            body = .object(fields)
        }
        return try JSONResponse.encode(body)
    }

    func search(_ request: Request) async throws -> Response {
        _ = try await authenticator.identity(of: request)
        let query = request.uri.queryParameters["q"].map(String.init) ?? ""
        let profiles = try await directory.search(query)
        return try JSONResponse.encode(JSONValue.array(profiles.map { UserPublicJSON.body(of: $0, objectURLs: objectURLs) }))
    }

    func byUsername(_ request: Request, _ context: some RequestContext) async throws -> Response {
        _ = try await authenticator.identity(of: request)
        // The router hands over the raw segment; a malformed escape cannot name anyone.
        guard let username = context.parameters.get("username")?.removingPercentEncoding,
              let profile = try await directory.byUsername(username)
        else { throw Self.userNotFound }
        return try JSONResponse.encode(UserPublicJSON.body(of: profile, objectURLs: objectURLs))
    }

    func avatar(_ request: Request, _ context: some RequestContext) async throws -> Response {
        _ = try await authenticator.identity(of: request)
        let id = try PathID.parse(context)
        guard let avatar = try await directory.publicProfile(id: id)?.avatar,
              let url = avatar.url(signedBy: objectURLs)
        else { throw Self.noAvatar }
        // The URL expires; a cached redirect would outlive it.
        return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
    }

    func update(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let id = try PathID.parse(context)
        guard id == identity.userID else { throw Self.forbidden }
        let body = try await JSONRequestBody.requiredObject(of: request)
        let changes = ProfileChanges(
            username: try Self.username(in: body),
            displayName: try Self.profileText("display_name", in: body),
            bio: try Self.profileText("bio", in: body))
        let stored: StoredProfile
        do {
            stored = try await editor.update(userID: id, with: changes)
        } catch let error as ProfileEditError {
            throw Self.apiError(for: error)
        }
        return try JSONResponse.encode([
            "id": .integer(stored.id),
            "username": .string(stored.username),
            "display_name": JSONValue(stored.displayName),
            "bio": JSONValue(stored.bio),
        ] as JSONValue)
    }

    func setAvatar(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        guard let body = try await JSONRequestBody.object(of: request), let fileID = body["file_id"]?.integerValue else {
            throw Self.fileIDRequired
        }
        let avatar: UserAvatar
        do {
            avatar = try await editor.setAvatar(userID: identity.userID, fileID: fileID)
        } catch let error as ProfileEditError {
            throw Self.apiError(for: error)
        }
        return try JSONResponse.encode(["avatar_url": JSONValue(avatar.url(signedBy: objectURLs))] as JSONValue)
    }

    /// `username`: absent or null keeps the name; any other non-string cannot match the rule.
    static func username(in body: [String: JSONValue]) throws -> String? {
        switch body["username"] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw invalidUsername
        }
    }

    /// `display_name` and `bio`: absent keeps the value, null is written as `""` (what the
    /// reference stored), a string as sent; other JSON types are refused.
    static func profileText(_ field: String, in body: [String: JSONValue]) throws -> String? {
        switch body[field] {
        case nil: return nil
        case .null?: return ""
        case .string(let value)?: return value
        default: throw APIError.invalidJSON
        }
    }

    static func apiError(for error: ProfileEditError) -> APIError {
        switch error {
        case .invalidUsername: invalidUsername
        case .usernameTaken: usernameTaken
        case .unstorableText: .invalidJSON
        case .userNotFound: userNotFound
        case .fileNotFound: fileNotFound
        case .notAnImage: notAnImage
        }
    }
}
