import Foundation
import Testing
import TestSupport

/// issue #7: after `migrator run`, legacy users keep their passwords on both API generations and
/// the session cookies api_legacy handed out before the cutover keep working on the gateway.
@Suite("logins and legacy sessions after migration (real migrator and gateway)")
struct MigratedLoginTests {
    /// Runs `migrator run` on `MigratorRunTests.cleanV2` (alice: §9.3 P6 pbkdf2, bob: P9 scrypt,
    /// both `testpass`; zoë: P7 `pässwörd ✓`) and starts a gateway on the migrated database with
    /// the test secrets, the same SECRET_KEY the cookies below are signed with.
    static func withMigratedGateway(_ body: @Sendable (GatewayProcess) async throws -> Void) async throws {
        try await MigratorProcess.withLocalBlobs { database, _, migrator in
            let (fixture, _, _) = try await MigratorRunTests.cleanV2(blobs: try migrator.blobs)
            let run = try await migrator.run("run", legacy: fixture)
            #expect(run.status == 0, "\(run.output)")
            try await GatewayProcess.with(
                databaseURL: database.url, environment: ["BLOB_DIR": try #require(migrator.blobDirectory).path, "RATE_LIMIT_ENABLED": "false"], body)
        }
    }

    static func post(_ gateway: GatewayProcess, _ path: String, _ json: [String: Any]) async throws -> HTTPTestClient.Reply {
        try await HTTPTestClient.request(
            gateway.baseURL + path, method: .POST, headers: [("Content-Type", "application/json")], body: HTTPTestClient.json(json))
    }

    static func me(_ gateway: GatewayProcess, cookie: String) async throws -> HTTPTestClient.Reply {
        try await HTTPTestClient.request(gateway.baseURL + "/api/me", headers: [("Cookie", "session=\(cookie)")])
    }

    static func sessionCookie(of reply: HTTPTestClient.Reply) -> String? {
        reply.headers["Set-Cookie"].first { $0.hasPrefix("session=") }
            .map { String($0.dropFirst("session=".count).prefix { $0 != ";" }) }
    }

    @Test("the old password works on POST /api/login (session cookie) and POST /auth/login (JWT)")
    func oldPasswordsLogIn() async throws {
        try await Self.withMigratedGateway { gateway in
            for (username, id, password) in [("alice", 1, "testpass"), ("Bob", 2, "testpass"), ("zoë", 3, "pässwörd ✓")] {
                let legacy = try await Self.post(gateway, "/api/login", ["username": username, "password": password])
                #expect(legacy.status == 200, "\(username): \(legacy.text)")
                #expect((try legacy.object()["id"] as? NSNumber)?.intValue == id)
                let cookie = try #require(Self.sessionCookie(of: legacy), "no session cookie for \(username)")
                let me = try await Self.me(gateway, cookie: cookie)
                #expect(me.status == 200)
                #expect((try me.object()["id"] as? NSNumber)?.intValue == id)

                let session = try await APISession.login(on: gateway, username: username, password: password)
                #expect(session.userID == Int64(id))
                #expect(try await session.request(.GET, "/chats").status == 200)
            }
            for path in ["/api/login", "/auth/login"] {
                let wrong = try await Self.post(gateway, path, ["username": "alice", "password": "testpasS"])
                #expect(wrong.status == 401, "\(path)")
            }
        }
    }

    @Test("a session cookie api_legacy issued before the migration is still a session on GET /api/me")
    func oldSessionCookieStillWorks() async throws {
        // The forge writes what Flask writes for a session without `cpp_token` (§8.3 vector 1).
        #expect(FlaskCookieForge.cookie(json: #"{"user_id":1,"username":"alice"}"#, secret: "test-secret-key", timestamp: 1_700_000_000)
            == "eyJ1c2VyX2lkIjoxLCJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA.gAswQNE6bN3744a776WdhTQ_JWU")
        // Signed by api_legacy at login three days before the cutover, with the SECRET_KEY the
        // gateway is given; the keys sorted and non-ASCII escaped, as Flask's JSON does.
        let loggedInAt = Int64(Date().timeIntervalSince1970) - 3 * 86_400
        let sessions: [(id: Int, username: String, json: String)] = [
            (1, "alice", #"{"user_id":1,"username":"alice"}"#),
            (3, "zoë", #"{"user_id":3,"username":"zo\u00eb"}"#),
        ]
        try await Self.withMigratedGateway { gateway in
            for session in sessions {
                let cookie = FlaskCookieForge.cookie(json: session.json, secret: FlaskCookieForge.gatewaySecret, timestamp: loggedInAt)
                let me = try await Self.me(gateway, cookie: cookie)
                #expect(me.status == 200, "\(session.username): \(me.text)")
                let profile = try me.object()
                #expect((profile["id"] as? NSNumber)?.intValue == session.id)
                #expect(profile["username"] as? String == session.username)
            }
            // The check is real: the same session signed with another key is no session.
            let foreign = FlaskCookieForge.cookie(
                json: #"{"user_id":1,"username":"alice"}"#, secret: "another-secret-key-0123456789abcdef", timestamp: loggedInAt)
            #expect(try await Self.me(gateway, cookie: foreign).status == 401)
        }
    }
}
