import HTTPTypes
import Hummingbird
import MessengerCore

/// §5.1 register, §5.2 login, §5.3 logout, §5.4 token, §5.5 me.
struct AccountRoutes: Sendable {
    let core: CoreServices
    let accounts: AccountService
    let directory: UserDirectory
    let sessions: LegacySessionAuthority

    init(core: CoreServices, sessions: LegacySessionAuthority) {
        self.core = core
        self.accounts = AccountService(core: core)
        self.directory = UserDirectory(core: core)
        self.sessions = sessions
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.post, "/register") { request, context in try await register(request, context) }
        table.api(.post, "/login") { request, context in try await login(request, context) }
        table.api(.post, "/logout") { request, context in try await logout(request, context) }
        table.api(.get, "/me") { _, context in try await me(context) }
        // §5.4: api_legacy answered only the literal /web-api/token; /api/token is its proxied form.
        table.api(.get, "/token") { _, context in try await token(context) }
    }

    static let usernameLength = LegacyError(.badRequest, "Username must be 3\u{2013}32 characters.")
    static let usernameCharacters = LegacyError(.badRequest, "Username may only contain letters, digits, - and _.")
    static let passwordLength = LegacyError(.badRequest, "Password must be 6\u{2013}128 characters.")
    static let usernameTaken = LegacyError(.conflict, "Username already taken.")
    static let credentialsRequired = LegacyError(.badRequest, "Username and password required.")
    static let invalidCredentials = LegacyError(.unauthorized, "Invalid credentials.")
    static let accountBlocked = LegacyError(.forbidden, "Account blocked. Contact support.")
    static let userNotFound = LegacyError(.notFound, "User not found")

    func register(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let body = try await LegacyJSONBody.object(request)
        guard let rawUsername = LegacyValue.textOrEmpty(body["username"]) else { throw Self.usernameLength }
        let username = PythonText.strip(rawUsername)
        guard (3...32).contains(PythonText.length(username)) else { throw Self.usernameLength }
        guard PythonText.isLegacyUsername(username) else { throw Self.usernameCharacters }
        guard let password = LegacyValue.textOrEmpty(body["password"]), (6...128).contains(PythonText.length(password)) else {
            throw Self.passwordLength
        }
        let userID: Int64
        do {
            userID = try await accounts.registerWithoutEmail(username: username, password: password, clientIP: context.clientIP)
        } catch let error as AccountError {
            throw Self.legacyError(error)
        }
        return try await signedIn(userID: userID, username: username, isAdmin: false, status: .created, request: request)
    }

    func login(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let body = try await LegacyJSONBody.object(request)
        let username = PythonText.strip(LegacyValue.textOrEmpty(body["username"]) ?? "")
        let password = LegacyValue.textOrEmpty(body["password"]) ?? ""
        guard !username.isEmpty, !password.isEmpty else { throw Self.credentialsRequired }
        let account: VerifiedAccount
        do {
            account = try await accounts.verifyCredentials(username: username, password: password, clientIP: context.clientIP)
            try await accounts.recordActivity(userID: account.id)
        } catch let error as AccountError {
            throw Self.legacyError(error)
        }
        return try await signedIn(userID: account.id, username: account.username, isAdmin: account.isAdmin, status: .ok, request: request)
    }

    /// A new recorded session, its cookie, and the reply of §5.1/§5.2 with a real `cpp_token`: an
    /// access token of the JWT API, minted here (the HTTP bridge of §6 is gone).
    private func signedIn(
        userID: Int64, username: String, isAdmin: Bool, status: HTTPResponse.Status, request: Request
    ) async throws -> Response {
        let cookie = try await sessions.issue(userID: userID, username: username)
        let token = try await core.tokens.issueAccessToken(userID: userID, isAdmin: isAdmin)
        var response = LegacyJSONResponse.make(
            ["cpp_token": .string(token), "id": .integer(userID), "username": .string(username)], status: status)
        response.headers.append(HTTPField(
            name: .setCookie, value: SessionCookieHeader.setting(cookie, secure: SessionCookieHeader.isSecure(request))))
        return response
    }

    func logout(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        if let session = context.legacySession {
            try await sessions.revoke(session)
        }
        var response = LegacyJSONResponse.make(["ok": true])
        response.headers.append(HTTPField(name: .setCookie, value: SessionCookieHeader.deletion(secure: SessionCookieHeader.isSecure(request))))
        return response
    }

    func me(_ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        guard let user = try await directory.publicProfile(id: session.userID) else { throw Self.userNotFound }
        return LegacyJSONResponse.make(LegacyObjects.profile(user))
    }

    /// A fresh access token for the session's user: the cookie no longer carries one (§14.3), and a
    /// token minted now does not expire an hour after login as api_cpp's did.
    func token(_ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        guard let status = try await core.accountStatus.status(userID: session.userID), status.mayAct else {
            throw LegacyError.unauthorised
        }
        let token = try await core.tokens.issueAccessToken(userID: session.userID, isAdmin: status.isAdmin)
        return LegacyJSONResponse.make(["cpp_token": .string(token)])
    }

    static func legacyError(_ error: AccountError) -> LegacyError {
        switch error {
        case .usernameOrEmailTaken: return usernameTaken
        case .credentialsRequired: return credentialsRequired
        case .invalidCredentials: return invalidCredentials
        case .accountBlocked: return accountBlocked
        case .rateLimited(let retryAfter):
            var limited = LegacyError(.tooManyRequests, "Too many requests")
            limited.headers = [.retryAfter: String(retryAfter)]
            return limited
        // The JWT API's own input rules and token errors: the legacy routes validate their input
        // before calling the core and use no refresh tokens, so these cannot reach them.
        case .usernameLength, .usernameCharacters, .invalidEmail, .passwordTooShort, .passwordTooLong,
            .refreshTokenRequired, .invalidRefreshToken, .userNotFound:
            return invalidCredentials
        }
    }
}
