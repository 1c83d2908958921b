import Crypto
import Foundation
import PostgresNIO
import Testing
import TestSupport

@testable import MessengerCore

/// Token format (jwt-api.md §4.1), registration rules (§3.1.1) and the account service against a
/// real database (§3.1, §4.4, §8.1).
@Suite("AccountService and tokens")
struct AccountServiceTests {
    static let vectorSecret = "test-secret-at-least-16-chars-long"
    static let vectorToken =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3MDAwMDM2MDAsImlhdCI6MTcwMDAwMDAwMCwiaXNfYWRtaW4iOmZhbHNlLCJzdWIiOiI0MiIsInR5cGUiOiJhY2Nlc3MifQ.gBsj1HEE8v-YckZF7xAc3KIHYruwrcPyOoyBYhkAMvM"
    static let aliceHash =
        "pbkdf2$d821554c1d77279aeac4a440e55c0c3f$e22e8b99ddc772ddbdc483698928859240389f5f8ff1d1aea9ab9c023375537f"

    static func vectorService() async -> TokenService {
        await TokenService(
            jwtSecret: vectorSecret, refreshTokenHashKey: "refresh-key-for-tests-0123456789abcdef", accessTTL: 3600,
            refreshTTL: 604_800)
    }

    // MARK: Token format

    @Test("§4.1 vector: issuing for user 42 at iat 1700000000 gives the vector byte for byte, and it verifies")
    func tokenVector() async throws {
        let service = await Self.vectorService()
        let issued = try await service.issueAccessToken(
            userID: 42, isAdmin: false, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(issued == Self.vectorToken)

        let verified = await service.verify(Self.vectorToken, expecting: .access, now: Date(timeIntervalSince1970: 1_700_000_000))
        let claims = try verified.get()
        #expect(claims.sub == "42")
        #expect(claims.userID == 42)
        #expect(claims.isAdmin == false)
        #expect(claims.exp == 1_700_003_600)
        // No leeway: the token is dead at exp.
        let atExpiry = await service.verify(Self.vectorToken, expecting: .access, now: Date(timeIntervalSince1970: 1_700_003_600))
        #expect(atExpiry == .failure(.invalid))
        let asRefresh = await service.verify(Self.vectorToken, expecting: .refresh, now: Date(timeIntervalSince1970: 1_700_000_000))
        #expect(asRefresh == .failure(.wrongKind))
    }

    @Test("§4.1 vector signature recomputed with HMAC-SHA-256 over the signing input")
    func vectorSignature() {
        let parts = Self.vectorToken.split(separator: ".").map(String.init)
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(parts[0]).\(parts[1])".utf8), using: SymmetricKey(data: Data(Self.vectorSecret.utf8)))
        #expect(Self.base64URL(Data(mac)) == parts[2])
        #expect(parts[0] == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9")
    }

    @Test("§4.3 vector: the legacy refresh hash (key refresh-hash-key) of the §4.1 token")
    func legacyRefreshHashVector() async {
        let service = await Self.vectorService()
        #expect(service.legacyRefreshTokenHash(Self.vectorToken) == "e4d5089a1b78deff155b339a0b05f5415ab800e8f4bb6d8b767055f586708867")
        #expect(service.refreshTokenHash(Self.vectorToken) != service.legacyRefreshTokenHash(Self.vectorToken))
    }

    @Test("our tokens: header exactly {\"alg\":\"HS256\",\"typ\":\"JWT\"}, compact alphabetical claims, a jti on refresh tokens")
    func issuedLayout() async throws {
        let service = await Self.vectorService()
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        let access = try await service.issueAccessToken(userID: 7, isAdmin: true, now: now)
        let refresh = try await service.issueRefreshToken(userID: 7, isAdmin: true, now: now)
        for token in [access, refresh.token] {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            #expect(parts.count == 3)
            #expect(Self.decodeSegment(parts[0]) == #"{"alg":"HS256","typ":"JWT"}"#)
        }
        #expect(Self.decodeSegment(access.split(separator: ".").map(String.init)[1])
            == #"{"exp":1750003600,"iat":1750000000,"is_admin":true,"sub":"7","type":"access"}"#)
        #expect(Self.decodeSegment(refresh.token.split(separator: ".").map(String.init)[1])
            == #"{"exp":1750604800,"iat":1750000000,"is_admin":true,"jti":"\#(refresh.jti)","sub":"7","type":"refresh"}"#)
        #expect(refresh.jti.count == 36)
        let another = try await service.issueRefreshToken(userID: 7, isAdmin: true, now: now)
        #expect(another.token != refresh.token, "two refresh tokens in the same second still differ (D-5)")
    }

    @Test("a correctly signed token whose header names another algorithm is refused", arguments: [
        #"{"alg":"HS384","typ":"JWT"}"#, #"{"alg":"none","typ":"JWT"}"#, #"{"typ":"JWT"}"#, #"{"alg":"hs256","typ":"JWT"}"#,
    ])
    func foreignAlgorithm(header: String) async {
        let service = await Self.vectorService()
        let payload = #"{"exp":1700003600,"iat":1700000000,"is_admin":false,"sub":"42","type":"access"}"#
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let control = Self.sign(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: payload)
        #expect((try? await service.verify(control, expecting: .access, now: now).get()) != nil, "the forging helper is right")
        let forged = Self.sign(header: header, payload: payload)
        #expect(await service.verify(forged, expecting: .access, now: now) == .failure(.invalid))
    }

    @Test("HS256 headers in any spelling are accepted (the common two skip decoding)", arguments: [
        #"{"alg":"HS256","typ":"JWT"}"#, #"{"typ":"JWT","alg":"HS256"}"#, #"{ "alg": "HS256" }"#,
    ])
    func hs256Spellings(header: String) async {
        let service = await Self.vectorService()
        let payload = #"{"exp":1700003600,"iat":1700000000,"is_admin":false,"sub":"42","type":"access"}"#
        let token = Self.sign(header: header, payload: payload)
        let verified = try? await service.verify(token, expecting: .access, now: Date(timeIntervalSince1970: 1_700_000_000)).get()
        #expect(verified?.userID == 42)
    }

    @Test("a token without an integer exp, or with a non-numeric sub, is refused", arguments: [
        #"{"iat":1700000000,"is_admin":false,"sub":"42","type":"access"}"#,
        #"{"exp":"1700003600","iat":1700000000,"is_admin":false,"sub":"42","type":"access"}"#,
        #"{"exp":1700003600.5,"iat":1700000000,"is_admin":false,"sub":"42","type":"access"}"#,
        #"{"exp":1700003600,"iat":1700000000,"is_admin":false,"sub":"abc","type":"access"}"#,
        #"{"exp":1700003600,"iat":1700000000,"is_admin":false,"sub":42,"type":"access"}"#,
    ])
    func malformedClaims(payload: String) async {
        let service = await Self.vectorService()
        let token = Self.sign(header: #"{"alg":"HS256","typ":"JWT"}"#, payload: payload)
        #expect(await service.verify(token, expecting: .access, now: Date(timeIntervalSince1970: 1_700_000_000)) == .failure(.invalid))
    }

    // MARK: Registration rules

    struct FormCase: Sendable, CustomTestStringConvertible {
        let name: String
        let username: String?
        let email: String?
        let password: String?
        let expected: AccountError?
        var testDescription: String { name }
    }

    @Test("registration rules, in the contract's order", arguments: [
        FormCase(name: "all missing: username first", username: nil, email: nil, password: nil, expected: .usernameLength),
        FormCase(name: "2 bytes", username: "ab", email: "a@b", password: "secret", expected: .usernameLength),
        FormCase(name: "3 bytes", username: "abc", email: "a@b", password: "secret", expected: nil),
        FormCase(name: "32 bytes", username: String(repeating: "a", count: 32), email: "a@b", password: "secret", expected: nil),
        FormCase(name: "33 bytes", username: String(repeating: "a", count: 33), email: "a@b", password: "secret", expected: .usernameLength),
        FormCase(name: "17 two-byte letters = 34 bytes", username: String(repeating: "é", count: 17), email: "a@b", password: "secret", expected: .usernameLength),
        FormCase(name: "two two-byte letters = 4 bytes", username: "éé", email: "a@b", password: "secret", expected: nil),
        FormCase(name: "space", username: "a b", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "tab", username: "a\tb", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "no-break space", username: "a\u{00A0}b", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "control", username: "a\u{0007}b", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "zero-width space", username: "a\u{200B}b", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "slash", username: "a/b", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "at sign", username: "a@b", email: "a@b", password: "secret", expected: .usernameCharacters),
        FormCase(name: "bad username wins over bad email", username: "ab", email: "x", password: "1", expected: .usernameLength),
        FormCase(name: "email missing", username: "abc", email: nil, password: "secret", expected: .invalidEmail),
        FormCase(name: "email empty", username: "abc", email: "", password: "secret", expected: .invalidEmail),
        FormCase(name: "email without @", username: "abc", email: "abc.example", password: "secret", expected: .invalidEmail),
        FormCase(name: "bad email wins over bad password", username: "abc", email: "x", password: "1", expected: .invalidEmail),
        FormCase(name: "password missing", username: "abc", email: "a@b", password: nil, expected: .passwordTooShort),
        FormCase(name: "password 5 bytes", username: "abc", email: "a@b", password: "12345", expected: .passwordTooShort),
        FormCase(name: "password 3 letters = 6 bytes", username: "abc", email: "a@b", password: "äöü", expected: nil),
        FormCase(name: "password 1024 bytes", username: "abc", email: "a@b", password: String(repeating: "p", count: 1024), expected: nil),
        FormCase(name: "password 1025 bytes", username: "abc", email: "a@b", password: String(repeating: "p", count: 1025), expected: .passwordTooLong),
    ])
    func registrationRules(_ form: FormCase) {
        let result = RegistrationForm.validate(
            username: form.username, email: form.email, password: form.password, displayName: nil)
        switch result {
        case .success(let valid):
            #expect(form.expected == nil)
            #expect(valid.displayName == form.username)
        case .failure(let error):
            #expect(error == form.expected)
        }
    }

    // MARK: Against the database

    @Test("register writes the user and its default settings; a case-insensitive duplicate is a conflict")
    func registration() async throws {
        try await Self.withAccounts { accounts, client in
            let id = try await accounts.register(
                username: "Zoe_1", email: "Zoe@Example.test", password: "secret-password", displayName: nil, clientIP: "t")
            let rows = try await client.query(
                """
                SELECT u.username, u.email, u.display_name, u.password_hash, u.is_active, u.is_admin, u.is_blocked,
                       s.theme, s.notifications_enabled, s.language
                FROM users u JOIN user_settings s ON s.user_id = u.id WHERE u.id = \(id)
                """, logger: Self.logger)
            var found = false
            for try await (name, email, display, hash, active, admin, blocked, theme, notify, language) in rows.decode(
                (String, String?, String?, String, Bool, Bool, Bool, String, Bool, String).self)
            {
                found = true
                #expect(name == "Zoe_1")
                #expect(email == "Zoe@Example.test")
                #expect(display == "Zoe_1")
                #expect(hash.hasPrefix("pbkdf2:sha256:600000$"))
                #expect(active && !admin && !blocked)
                #expect(theme == "light" && notify && language == "en")
            }
            #expect(found)

            await #expect(throws: AccountError.usernameOrEmailTaken) {
                try await accounts.register(username: "zoe_1", email: "other@example.test", password: "secret-password", displayName: nil, clientIP: "t")
            }
            await #expect(throws: AccountError.usernameOrEmailTaken) {
                try await accounts.register(username: "someone", email: "zoe@example.TEST", password: "secret-password", displayName: nil, clientIP: "t")
            }
            let count = try await Self.scalar(client, "SELECT count(*) FROM users")
            #expect(count == 1)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM user_settings") == 1)
        }
    }

    @Test("an api_cpp pbkdf2$ hash logs in once and is replaced by pbkdf2:sha256:600000")
    func legacyHashIsUpgraded() async throws {
        try await Self.withAccounts { accounts, client in
            let id = try await Self.insertUser(client, username: "alice", hash: Self.aliceHash, isAdmin: true)
            let issued = try await accounts.login(username: "ALICE", password: "testpass", clientIP: "t")
            #expect(issued.userID == id)
            let stored = try await Self.text(client, "SELECT password_hash FROM users WHERE id = \(id)")
            #expect(stored.hasPrefix("pbkdf2:sha256:600000$"))
            #expect(try await Self.scalar(client, "SELECT count(*) FROM users WHERE id = \(id) AND last_activity IS NOT NULL") == 1)
            // The new hash works, and a wrong password still does not.
            _ = try await accounts.login(username: "alice", password: "testpass", clientIP: "t")
            #expect(try await Self.text(client, "SELECT password_hash FROM users WHERE id = \(id)") == stored)
            await #expect(throws: AccountError.invalidCredentials) {
                try await accounts.login(username: "alice", password: "wrong-pass", clientIP: "t")
            }
        }
    }

    @Test("a refresh row api_cpp stored under the legacy key, for a token without jti, rotates once")
    func legacyRefreshRow() async throws {
        try await Self.withAccounts { accounts, client in
            let id = try await Self.insertUser(client, username: "bob", hash: Self.aliceHash, isAdmin: false)
            let now = Int64(Date().timeIntervalSince1970)
            // The reference's refresh token: no jti, signed with the gateway's secret.
            let legacyToken = Self.sign(
                header: #"{"alg":"HS256","typ":"JWT"}"#,
                payload: #"{"exp":\#(now + 600),"iat":\#(now),"is_admin":false,"sub":"\#(id)","type":"refresh"}"#,
                secret: TestEnvironment.secrets["JWT_SECRET"] ?? "")
            let legacyHash = accounts.tokens.legacyRefreshTokenHash(legacyToken)
            try await client.query(
                "INSERT INTO refresh_tokens (user_id, token_hash, expires_at) VALUES (\(id), \(legacyHash), now() + interval '7 days')",
                logger: Self.logger)

            let rotated = try await accounts.refresh(refreshToken: legacyToken)
            #expect(rotated.userID == id)
            #expect(try await Self.scalar(client, "SELECT count(*) FROM refresh_tokens WHERE token_hash = \(legacyHash) AND revoked AND replaced_by IS NOT NULL") == 1)
            await #expect(throws: AccountError.invalidRefreshToken) { try await accounts.refresh(refreshToken: legacyToken) }
            // That replay revoked the successor too.
            await #expect(throws: AccountError.invalidRefreshToken) { try await accounts.refresh(refreshToken: rotated.refreshToken) }
        }
    }

    @Test("two refreshes racing with one token: exactly one wins, and the family is then revoked")
    func concurrentRefresh() async throws {
        try await Self.withAccounts { accounts, client in
            _ = try await Self.insertUser(client, username: "carol", hash: Self.aliceHash, isAdmin: false)
            let login = try await accounts.login(username: "carol", password: "testpass", clientIP: "t")
            let outcomes = await withTaskGroup(of: Result<IssuedTokens, AccountError>.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            return .success(try await accounts.refresh(refreshToken: login.refreshToken))
                        } catch let error as AccountError {
                            return .failure(error)
                        } catch {
                            return .failure(.userNotFound)
                        }
                    }
                }
                var all: [Result<IssuedTokens, AccountError>] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            let winners = outcomes.compactMap { try? $0.get() }
            #expect(winners.count == 1)
            #expect(outcomes.contains { $0 == .failure(.invalidRefreshToken) })
            let winner = try #require(winners.first)
            await #expect(throws: AccountError.invalidRefreshToken) { try await accounts.refresh(refreshToken: winner.refreshToken) }
            #expect(try await Self.scalar(client, "SELECT count(*) FROM refresh_tokens WHERE NOT revoked") == 0)
        }
    }

    @Test("login stores the refresh row keyed by the HMAC with jti, family and the token's own expiry")
    func refreshRowAtLogin() async throws {
        try await Self.withAccounts { accounts, client in
            let id = try await Self.insertUser(client, username: "dave", hash: Self.aliceHash, isAdmin: false)
            let issued = try await accounts.login(username: "dave", password: "testpass", clientIP: "t")
            let claims = try await accounts.tokens.verify(issued.refreshToken, expecting: .refresh).get()
            let hash = accounts.tokens.refreshTokenHash(issued.refreshToken)
            let rows = try await client.query(
                "SELECT user_id, jti, extract(epoch FROM expires_at)::bigint, revoked FROM refresh_tokens WHERE token_hash = \(hash)",
                logger: Self.logger)
            var found = 0
            for try await (userID, jti, expiry, revoked) in rows.decode((Int64, String?, Int64, Bool).self) {
                found += 1
                #expect(userID == id)
                #expect(jti == claims.jti)
                #expect(expiry == claims.exp)
                #expect(!revoked)
            }
            #expect(found == 1)
            #expect(claims.exp - claims.iat == 604_800)
        }
    }

    @Test("purge deletes rows expired or revoked more than 30 days ago, and keeps every other row")
    func purgeRetiredRefreshTokens() async throws {
        try await Self.withAccounts { accounts, client in
            _ = try await Self.insertUser(client, username: "erin", hash: Self.aliceHash, isAdmin: false)
            var hashes: [String] = []
            for _ in 0..<5 {
                let issued = try await accounts.login(username: "erin", password: "testpass", clientIP: "t")
                hashes.append(accounts.tokens.refreshTokenHash(issued.refreshToken))
            }
            // 0: live. 1: expired 31 days ago. 2: expired 29 days ago. 3: revoked 31 days ago and
            // expired. 4: revoked 31 days ago, still unexpired (reuse must stay detectable).
            try await client.query(
                "UPDATE refresh_tokens SET expires_at = now() - interval '31 days' WHERE token_hash = \(hashes[1])", logger: Self.logger)
            try await client.query(
                "UPDATE refresh_tokens SET expires_at = now() - interval '29 days' WHERE token_hash = \(hashes[2])", logger: Self.logger)
            try await client.query(
                """
                UPDATE refresh_tokens SET revoked = true, revoked_at = now() - interval '31 days', expires_at = now() - interval '1 day'
                WHERE token_hash = \(hashes[3])
                """, logger: Self.logger)
            try await client.query(
                "UPDATE refresh_tokens SET revoked = true, revoked_at = now() - interval '31 days' WHERE token_hash = \(hashes[4])",
                logger: Self.logger)

            #expect(try await accounts.purgeRetiredRefreshTokens() == 2)
            let rows = try await client.query("SELECT token_hash FROM refresh_tokens", logger: Self.logger)
            var remaining: Set<String> = []
            for try await hash in rows.decode(String.self) { remaining.insert(hash) }
            #expect(remaining == [hashes[0], hashes[2], hashes[4]])
            #expect(try await accounts.purgeRetiredRefreshTokens() == 0)
        }
    }

    // MARK: Helpers

    static let logger = Logger(label: "account-tests")

    /// The service over a scratch database, rate limits off, with the gateway's test secrets.
    static func withAccounts(_ body: @Sendable (AccountService, PostgresClient) async throws -> Void) async throws {
        try await TestCoreServices.with { core, client in
            try await body(AccountService(core: core), client)
        }
    }

    static func insertUser(_ client: PostgresClient, username: String, hash: String, isAdmin: Bool) async throws -> Int64 {
        let rows = try await client.query(
            "INSERT INTO users (username, email, password_hash, is_admin) VALUES (\(username), \(username + "@example.test"), \(hash), \(isAdmin)) RETURNING id",
            logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        throw AccountStoreFailure.noRowReturned
    }

    static func scalar(_ client: PostgresClient, _ query: PostgresQuery) async throws -> Int64 {
        for try await value in try await client.query(query, logger: logger).decode(Int64.self) { return value }
        return -1
    }

    static func text(_ client: PostgresClient, _ query: PostgresQuery) async throws -> String {
        for try await value in try await client.query(query, logger: logger).decode(String.self) { return value }
        return ""
    }

    static func sign(header: String, payload: String, secret: String = vectorSecret) -> String {
        let input = base64URL(Data(header.utf8)) + "." + base64URL(Data(payload.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return input + "." + base64URL(Data(mac))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeSegment(_ segment: String) -> String? {
        var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64).map { String(decoding: $0, as: UTF8.self) }
    }
}
