import Foundation
import MessengerCore

/// Turns `session` cookies into sessions and back. Cookies keep api_legacy's Flask format and keys
/// (`user_id`, `username`), so api_legacy reads them after a rollback, plus `sid`: the id of the
/// server-side record that logout revokes. Cookies api_legacy issued (no `sid`) are accepted until
/// their user's cutoff and upgraded to a recorded session on first use.
struct LegacySessionAuthority: Sendable {
    let serializer: FlaskSessionSerializer
    let store: LegacySessionStore

    static let recordKey = "sid"

    init(secret: String, store: LegacySessionStore) {
        self.serializer = FlaskSessionSerializer(secretKey: secret)
        self.store = store
    }

    /// The session behind a cookie value, or nil when the cookie is invalid, expired, revoked, an
    /// admin-panel session (§8.1: never a messenger session), or its account may not act.
    func session(fromCookie value: String, now: Date = Date()) async throws -> LegacySession? {
        guard let signed = serializer.open(value, now: Int64(now.timeIntervalSince1970)) else { return nil }
        let payload = signed.payload
        guard case .integer(let userID)? = payload["user_id"], userID > 0 else { return nil }
        guard !LegacyValue.isTruthy(payload["is_admin"]) else { return nil }
        var recordID: UUID?
        if let recordValue = payload[Self.recordKey] {
            guard let text = recordValue.stringValue, let id = UUID(uuidString: text) else { return nil }
            recordID = id
        }
        let signedAt = Date(timeIntervalSince1970: TimeInterval(signed.signedAt))
        switch try await store.verdict(sessionID: recordID, userID: userID, signedAt: signedAt) {
        case .refused:
            return nil
        case .live:
            guard let recordID else { return nil }
            return LegacySession(userID: userID, recordID: recordID, upgradedCookie: nil)
        case .acceptedWithoutRecord:
            // Same payload and signing time, so the upgraded cookie expires when the original would.
            let id = try await store.open(userID: userID)
            var upgraded = payload
            upgraded[Self.recordKey] = .string(id.uuidString.lowercased())
            let cookie = try serializer.encode(upgraded, timestamp: signed.signedAt)
            return LegacySession(userID: userID, recordID: id, upgradedCookie: cookie)
        }
    }

    /// A new recorded session for a login or registration, and its cookie value.
    func issue(userID: Int64, username: String, now: Date = Date()) async throws -> String {
        let id = try await store.open(userID: userID)
        let payload: [String: JSONValue] = [
            "user_id": .integer(userID),
            "username": .string(username),
            Self.recordKey: .string(id.uuidString.lowercased()),
        ]
        return try serializer.encode(payload, timestamp: Int64(now.timeIntervalSince1970))
    }

    func revoke(_ session: LegacySession) async throws {
        try await store.revoke(sessionID: session.recordID, userID: session.userID, reason: "logout")
    }
}
