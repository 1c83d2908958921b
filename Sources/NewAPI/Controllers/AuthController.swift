import Hummingbird
import MessengerCore

/// The account's own endpoints: `/auth/register`, `/auth/login`, `/auth/refresh`, `/auth/logout`
/// (jwt-api.md §3.1) and `GET /me` (§3.2.1). Parses the body, calls ``AccountService``, and maps
/// its ``AccountError``s to the contract's statuses and messages.
public struct AuthController: Sendable {
    let accounts: AccountService
    let authenticator: RequestAuthenticator

    public init(core: CoreServices, authenticator: RequestAuthenticator) {
        self.accounts = AccountService(core: core)
        self.authenticator = authenticator
    }

    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.post("/auth/register") { request, context in try await register(request, context) }
        router.post("/auth/login") { request, context in try await login(request, context) }
        router.post("/auth/refresh") { request, _ in try await refresh(request) }
        router.post("/auth/logout") { request, _ in try await logout(request) }
        router.get("/me") { request, _ in try await me(request) }
    }

    func register(_ request: Request, _ context: some NewAPIRequestContext) async throws -> Response {
        let body = try await JSONRequestBody.requiredObject(of: request)
        let username = body["username"]?.stringValue
        let id = try await mapped {
            try await accounts.register(
                username: username, email: body["email"]?.stringValue, password: body["password"]?.stringValue,
                displayName: body["display_name"]?.stringValue, clientIP: context.clientIP)
        }
        let created: JSONValue = ["id": .integer(id), "username": JSONValue(username)]
        return try JSONResponse.encode(created, status: .created)
    }

    func login(_ request: Request, _ context: some NewAPIRequestContext) async throws -> Response {
        let body = try await JSONRequestBody.requiredObject(of: request)
        let issued = try await mapped {
            try await accounts.login(
                username: body["username"]?.stringValue, password: body["password"]?.stringValue,
                clientIP: context.clientIP)
        }
        let tokens: JSONValue = [
            "access_token": .string(issued.accessToken),
            "refresh_token": .string(issued.refreshToken),
            "token_type": "Bearer",
            "expires_in": .integer(issued.expiresIn),
            "user_id": .integer(issued.userID),
        ]
        return try JSONResponse.encode(tokens)
    }

    func refresh(_ request: Request) async throws -> Response {
        let body = try await JSONRequestBody.requiredObject(of: request)
        let issued = try await mapped { try await accounts.refresh(refreshToken: body["refresh_token"]?.stringValue) }
        let tokens: JSONValue = [
            "access_token": .string(issued.accessToken),
            "refresh_token": .string(issued.refreshToken),
            "token_type": "Bearer",
            "expires_in": .integer(issued.expiresIn),
        ]
        return try JSONResponse.encode(tokens)
    }

    func logout(_ request: Request) async throws -> Response {
        let body = try await JSONRequestBody.requiredObject(of: request)
        try await mapped { try await accounts.logout(refreshToken: body["refresh_token"]?.stringValue) }
        return Response(status: .noContent)
    }

    /// The Me object of §3.0. `email` is a string in the contract, but accounts migrated from
    /// api_legacy have none (NULL); they get `""`, which clients already treat as "no value" (§1.7).
    func me(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let profile = try await mapped { try await accounts.profile(userID: identity.userID) }
        let me: JSONValue = [
            "id": .integer(profile.id),
            "username": .string(profile.username),
            "display_name": .string(profile.displayName ?? profile.username),
            "bio": JSONValue(profile.bio),
            "is_admin": .bool(profile.isAdmin),
            "avatar_url": JSONValue(profile.avatarURL),
            "email": .string(profile.email ?? ""),
            "created_at": JSONValue(rfc3339: profile.createdAt),
        ]
        return try JSONResponse.encode(me)
    }

    /// Runs `operation`, turning an ``AccountError`` into the contract's response.
    private func mapped<Result>(_ operation: () async throws -> Result) async throws -> Result {
        do {
            return try await operation()
        } catch let error as AccountError {
            throw Self.apiError(for: error)
        }
    }

    static func apiError(for error: AccountError) -> APIError {
        switch error {
        case .usernameLength: APIError(.badRequest, "Username must be 3–32 characters")
        case .usernameCharacters: APIError(.badRequest, "Username contains invalid characters")
        case .invalidEmail: APIError(.badRequest, "Invalid email")
        case .passwordTooShort: APIError(.badRequest, "Password must be at least 6 characters")
        case .passwordTooLong: APIError(.badRequest, "Password must be at most 1024 characters")
        case .usernameOrEmailTaken: APIError(.conflict, "Username or email already taken")
        case .credentialsRequired: APIError(.badRequest, "username and password required")
        case .invalidCredentials: APIError(.unauthorized, "Invalid credentials")
        case .accountBlocked: APIError(.forbidden, "Account blocked. Contact support.")
        case .refreshTokenRequired: APIError(.badRequest, "refresh_token required")
        case .invalidRefreshToken: APIError(.unauthorized, "Invalid or expired refresh token")
        case .userNotFound: APIError(.notFound, "User not found")
        case .rateLimited(let retryAfter):
            APIError(.tooManyRequests, "Too many requests", headers: [.retryAfter: String(retryAfter)])
        }
    }
}
