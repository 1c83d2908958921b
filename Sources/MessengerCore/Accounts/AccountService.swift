import Crypto
import Foundation
import Logging
import PostgresNIO

/// Registration, login, refresh-token rotation, logout and the owner's profile (jwt-api.md §3.1,
/// §3.2.1, §4). Every refusal is an ``AccountError``; the API maps it to its wire form.
///
/// Rate limits (§10.2) are enforced here, so every API generation that logs people in shares them.
/// They count only requests that passed the cheap input checks: those are the ones that cost a
/// password derivation or a database write, and a typo in a form does not eat into a user's quota.
public struct AccountService: Sendable {
    let database: PostgresClient
    let logger: Logger
    let passwords: PasswordHasher
    let tokens: TokenService
    let accountStatus: AccountStatusLookup
    let rateLimiter: RateLimiter
    let objectURLs: any ObjectURLSigning
    let users: UserAccountRepository
    let refreshTokens: RefreshTokenStore

    public init(core: CoreServices) {
        database = core.database
        logger = core.logger
        passwords = core.passwords
        tokens = core.tokens
        accountStatus = core.accountStatus
        rateLimiter = core.rateLimiter
        objectURLs = core.objectURLs
        users = UserAccountRepository(database: core.database, logger: core.logger)
        refreshTokens = RefreshTokenStore(database: core.database, logger: core.logger)
    }

    // MARK: Registration

    /// Creates the account and its default settings. Fields are nil when missing or not strings.
    /// Returns the new user's id.
    public func register(
        username: String?, email: String?, password: String?, displayName: String?, clientIP: String
    ) async throws -> Int64 {
        let form = try RegistrationForm.validate(
            username: username, email: email, password: password, displayName: displayName
        ).get()
        try await enforce(.registerPerIP, subject: clientIP)
        let hash = try await passwords.hash(form.password)
        return try await users.create(form, passwordHash: hash)
    }

    // MARK: Login

    /// Checks the password before the blocked flag (D-14), so 403 proves the password was right,
    /// and spends a dummy derivation on unknown users so timing does not reveal them. A weaker
    /// stored hash is replaced by a current one (§8.1). The refresh-token row is committed
    /// before this returns (D-5).
    public func login(username: String?, password: String?, clientIP: String) async throws -> IssuedTokens {
        let account = try await verifyCredentials(username: username, password: password, clientIP: clientIP)
        let issued = try await issue(userID: account.id, isAdmin: account.isAdmin)
        try await database.transaction(logger: logger) { connection in
            try await refreshTokens.insert(
                userID: account.id, tokenHash: issued.refreshHash, jti: issued.jti, familyID: UUID(),
                expiresAt: issued.refreshExpiry, on: connection)
            try await users.recordActivity(userID: account.id, on: connection)
        }
        return issued.tokens
    }

    /// The login checks every API generation shares: rate limits, the password (at the same cost
    /// for unknown users), then the blocked flag. A weaker stored hash is replaced by a current one
    /// (§8.1). Returns the account, for the caller to open its own kind of session.
    public func verifyCredentials(username: String?, password: String?, clientIP: String) async throws -> VerifiedAccount {
        guard let username, !username.isEmpty, let password, !password.isEmpty else {
            throw AccountError.credentialsRequired
        }
        try await enforce(.loginPerIP, subject: clientIP)
        try await enforce(.loginPerUsername, subject: Self.usernameSubject(username))

        guard let account = try await users.loginCandidate(username: username) else {
            await passwords.burnDummyVerification(password)
            throw AccountError.invalidCredentials
        }
        let needsRehash: Bool
        switch try await passwords.verify(password, against: account.passwordHash) {
        case .match(let rehash):
            needsRehash = rehash
        case .mismatch:
            throw AccountError.invalidCredentials
        case .unsupportedFormat:
            // An operator problem, not the user's: say so in the log, but answer like a wrong
            // password (at the same cost) rather than reveal anything about the row.
            logger.error("stored password hash has an unsupported format", metadata: ["user_id": "\(account.id)"])
            await passwords.burnDummyVerification(password)
            throw AccountError.invalidCredentials
        }
        guard !account.isBlocked else { throw AccountError.accountBlocked }

        if needsRehash {
            let upgradedHash = try await passwords.hash(password)
            try await database.withConnection { connection in
                try await users.replacePasswordHash(
                    userID: account.id, from: account.passwordHash, to: upgradedHash, on: connection)
            }
        }
        return VerifiedAccount(id: account.id, username: account.username, isAdmin: account.isAdmin)
    }

    /// Registration without an e-mail address, as the legacy API registers (its own input rules
    /// are checked by its adapter): the account with `display_name` = username and default settings.
    /// Throws ``AccountError/usernameOrEmailTaken`` for a taken username (up to ASCII case).
    public func registerWithoutEmail(username: String, password: String, clientIP: String) async throws -> Int64 {
        try await enforce(.registerPerIP, subject: clientIP)
        let hash = try await passwords.hash(password)
        return try await users.create(username: username, email: nil, passwordHash: hash, displayName: username)
    }

    /// Records that the user did something (login through another API generation).
    public func recordActivity(userID: Int64) async throws {
        try await database.withConnection { connection in
            try await users.recordActivity(userID: userID, on: connection)
        }
    }

    // MARK: Refresh

    /// The rotation of jwt-api.md §4.4: a refresh token works once. Presenting one that was
    /// already rotated (or logged out) is treated as theft: every live token of its family is
    /// revoked, so whoever holds the newest one is logged out as well.
    public func refresh(refreshToken: String?) async throws -> IssuedTokens {
        guard let token = refreshToken, !token.isEmpty else { throw AccountError.refreshTokenRequired }
        guard case .success(let claims) = await tokens.verify(token, expecting: .refresh), let userID = claims.userID else {
            throw AccountError.invalidRefreshToken
        }
        try await enforce(.refreshPerUser, subject: String(userID))

        guard let row = try await refreshTokens.find(
            tokenHash: tokens.refreshTokenHash(token), legacyHash: tokens.legacyRefreshTokenHash(token)),
            row.userID == userID, !row.expired
        else { throw AccountError.invalidRefreshToken }
        if row.revoked {
            try await revokeReusedFamily(of: row)
            throw AccountError.invalidRefreshToken
        }
        guard let status = try await accountStatus.status(userID: userID), status.isActive else {
            throw AccountError.invalidRefreshToken
        }
        guard !status.isBlocked else { throw AccountError.accountBlocked }

        let issued = try await issue(userID: userID, isAdmin: status.isAdmin)
        do {
            try await database.transaction(logger: logger) { connection in
                let successor = try await refreshTokens.insert(
                    userID: userID, tokenHash: issued.refreshHash, jti: issued.jti, familyID: row.familyID,
                    expiresAt: issued.refreshExpiry, on: connection)
                guard try await refreshTokens.retire(id: row.id, replacedBy: successor, on: connection) else {
                    throw ConcurrentRotation()
                }
                try await users.recordActivity(userID: userID, on: connection)
            }
        } catch is ConcurrentRotation {
            // Another request rotated this token first; this one is its reuse.
            try await revokeReusedFamily(of: row)
            throw AccountError.invalidRefreshToken
        }
        return issued.tokens
    }

    /// Thrown inside the rotation transaction to roll back the successor row.
    private struct ConcurrentRotation: Error {}

    private func revokeReusedFamily(of row: RefreshTokenStore.Row) async throws {
        let revoked = try await refreshTokens.revokeFamily(userID: row.userID, familyID: row.familyID)
        logger.warning(
            "refresh token reuse detected; token family revoked",
            metadata: ["user_id": "\(row.userID)", "family_id": "\(row.familyID)", "revoked_tokens": "\(revoked)"])
    }

    // MARK: Logout

    /// Revokes the token's row when the token verifies; any other token is silently accepted,
    /// since there is nothing left to end.
    public func logout(refreshToken: String?) async throws {
        guard let token = refreshToken, !token.isEmpty else { throw AccountError.refreshTokenRequired }
        guard case .success(let claims) = await tokens.verify(token, expecting: .refresh), let userID = claims.userID else {
            return
        }
        try await refreshTokens.revoke(
            tokenHash: tokens.refreshTokenHash(token), legacyHash: tokens.legacyRefreshTokenHash(token), userID: userID)
    }

    /// Ends every refresh-token session of the user, for whoever blocks or soft-deletes accounts
    /// (D-6). Returns how many tokens were still live.
    @discardableResult
    public func revokeAllRefreshTokens(userID: Int64) async throws -> Int {
        try await refreshTokens.revokeAll(userID: userID)
    }

    // MARK: Profile

    public func profile(userID: Int64) async throws -> AccountProfile {
        guard let row = try await users.profileRow(userID: userID) else { throw AccountError.userNotFound }
        let avatarURL = row.avatar.flatMap { avatar in
            objectURLs.url(
                bucket: avatar.bucket, key: avatar.key,
                upload: UploadedObjectDescription(filename: avatar.filename, mimeType: avatar.mimeType))
        }
        return AccountProfile(
            id: row.id, username: row.username, displayName: row.displayName, bio: row.bio, isAdmin: row.isAdmin,
            email: row.email, createdAt: row.createdAt, avatarURL: avatarURL)
    }

    // MARK: Shared steps

    private struct PendingTokens {
        let tokens: IssuedTokens
        let jti: String
        let refreshHash: String
        let refreshExpiry: Date
    }

    /// A new token pair; `is_admin` comes from the row just read, never from an older token.
    private func issue(userID: Int64, isAdmin: Bool) async throws -> PendingTokens {
        let now = Date()
        let access = try await tokens.issueAccessToken(userID: userID, isAdmin: isAdmin, now: now)
        let refresh = try await tokens.issueRefreshToken(userID: userID, isAdmin: isAdmin, now: now)
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        return PendingTokens(
            tokens: IssuedTokens(
                userID: userID, accessToken: access, refreshToken: refresh.token, expiresIn: tokens.accessTTL),
            jti: refresh.jti,
            refreshHash: tokens.refreshTokenHash(refresh.token),
            refreshExpiry: issuedAt.addingTimeInterval(TimeInterval(tokens.refreshTTL)))
    }

    private func enforce(_ limit: RateLimit, subject: String) async throws {
        if case .limited(let retryAfter) = await rateLimiter.check(limit, subject: subject) {
            throw AccountError.rateLimited(retryAfter: retryAfter)
        }
    }

    /// The per-username login bucket: ASCII case-folded like the unique index, so `Alice` and
    /// `alice` share one count, and hashed, so counter keys stay short and hold no usernames.
    static func usernameSubject(_ username: String) -> String {
        let folded = username.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        return SHA256.hash(data: folded).prefix(16).map { String(format: "%02x", $0) }.joined()
    }
}
