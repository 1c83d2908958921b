import Foundation
import Logging
import PostgresNIO
import Testing
import TestSupport

@Suite("JWT API: settings (real gateway binary)")
struct SettingsAPITests {
    static let logger = Logger(label: "tests")

    static func withCaller(_ body: @Sendable (GatewayProcess, APISession, PostgresClient) async throws -> Void) async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: ["RATE_LIMIT_ENABLED": "false"]) { gateway in
                let caller = try await APISession.register(on: gateway, username: "settings")
                // Start from "no row", whatever registration stored.
                try await client.query("DELETE FROM user_settings WHERE user_id = \(caller.userID)", logger: logger)
                try await body(gateway, caller, client)
            }
        }
    }

    static func settings(of caller: APISession) async throws -> [String: Any] {
        let reply = try await caller.request(.GET, "/settings")
        #expect(reply.status == 200)
        #expect(reply.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
        return try reply.object()
    }

    static func isDefault(_ settings: [String: Any]) -> Bool {
        settings.count == 3 && settings["theme"] as? String == "light"
            && settings["notifications_enabled"] as? Bool == true && settings["language"] as? String == "en"
    }

    static func rowCount(_ client: PostgresClient, user: Int64) async throws -> Int {
        let rows = try await client.query("SELECT count(*) FROM user_settings WHERE user_id = \(user)", logger: logger)
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }

    @Test("GET /settings creates the default row and returns it")
    func readCreatesDefaults() async throws {
        try await Self.withCaller { gateway, caller, client in
            #expect(try await Self.rowCount(client, user: caller.userID) == 0)
            #expect(Self.isDefault(try await Self.settings(of: caller)))
            #expect(try await Self.rowCount(client, user: caller.userID) == 1)
            #expect(Self.isDefault(try await Self.settings(of: caller)))

            let anonymous = try await HTTPTestClient.request(gateway.baseURL + "/settings")
            #expect(anonymous.status == 401)
            #expect(try anonymous.object()["error"] as? String == "Missing Authorization header")
        }
    }

    @Test("PUT /settings replaces everything: 204, unknown values and absent fields become defaults")
    func fullReplacement() async throws {
        try await Self.withCaller { _, caller, _ in
            let stored = try await caller.request(.PUT, "/settings", json: ["theme": "dark", "notifications_enabled": false, "language": "ru"])
            #expect(stored.status == 204)
            #expect(stored.body.isEmpty)
            let read = try await Self.settings(of: caller)
            #expect(read["theme"] as? String == "dark")
            #expect(read["notifications_enabled"] as? Bool == false)
            #expect(read["language"] as? String == "ru")

            // The acceptance case: an unknown theme, and the absent fields reset.
            #expect(try await caller.request(.PUT, "/settings", json: ["theme": "neon"]).status == 204)
            #expect(Self.isDefault(try await Self.settings(of: caller)))

            #expect(try await caller.request(.PUT, "/settings", json: ["language": "de"]).status == 204)
            #expect(try await Self.settings(of: caller)["language"] as? String == "de")
            #expect(try await caller.request(.PUT, "/settings", json: [:]).status == 204)
            #expect(Self.isDefault(try await Self.settings(of: caller)))

            let coerced: [String: Any] = ["theme": 5, "language": "fr", "notifications_enabled": true]
            #expect(try await caller.request(.PUT, "/settings", json: coerced).status == 204)
            #expect(Self.isDefault(try await Self.settings(of: caller)))
            for (theme, language) in [("Dark", "RU"), ("", ""), ("dark ", " en")] {
                #expect(try await caller.request(.PUT, "/settings", json: ["theme": theme, "language": language]).status == 204)
                #expect(Self.isDefault(try await Self.settings(of: caller)))
            }
            #expect(try await caller.request(.PUT, "/settings", json: ["theme": NSNull(), "language": ["en"]]).status == 204)
            #expect(Self.isDefault(try await Self.settings(of: caller)))
        }
    }

    @Test("PUT /settings: notifications_enabled must be a JSON boolean, and the body a JSON object")
    func typeErrors() async throws {
        try await Self.withCaller { gateway, caller, _ in
            #expect(try await caller.request(.PUT, "/settings", json: ["theme": "dark", "notifications_enabled": false]).status == 204)
            for value: Any in [1, 0, "false", "true", NSNull(), [true], ["on": true]] {
                let reply = try await caller.request(.PUT, "/settings", json: ["theme": "light", "notifications_enabled": value])
                #expect(reply.status == 400, "notifications_enabled \(value)")
                #expect(try reply.object()["error"] as? String == "Invalid JSON")
            }
            for body in ["[]", "true", "not json", ""] {
                let reply = try await HTTPTestClient.request(
                    gateway.baseURL + "/settings", method: .PUT,
                    headers: [("Authorization", "Bearer \(caller.accessToken)"), ("Content-Type", "application/json")],
                    body: Data(body.utf8))
                #expect(reply.status == 400, "body \(body)")
                #expect(try reply.object()["error"] as? String == "Invalid JSON")
            }
            let form = try await HTTPTestClient.request(
                gateway.baseURL + "/settings", method: .PUT,
                headers: [("Authorization", "Bearer \(caller.accessToken)"), ("Content-Type", "application/x-www-form-urlencoded")],
                body: Data("theme=dark".utf8))
            #expect(form.status == 400)
            // Refused writes changed nothing.
            let read = try await Self.settings(of: caller)
            #expect(read["theme"] as? String == "dark")
            #expect(read["notifications_enabled"] as? Bool == false)

            let anonymous = try await HTTPTestClient.request(
                gateway.baseURL + "/settings", method: .PUT, headers: [("Content-Type", "application/json")], body: Data("{}".utf8))
            #expect(anonymous.status == 401)
        }
    }
}
