import Foundation
import Logging
import PostgresNIO

/// What the server-side records say about a legacy session cookie.
public enum LegacySessionVerdict: Sendable, Equatable {
    /// A cookie the gateway issued, whose record is live.
    case live
    /// A cookie api_legacy issued before the switch (no session id), still within its user's
    /// cutoff: accepted, and to be upgraded to a recorded session.
    case acceptedWithoutRecord
    /// Revoked, unknown, older than the user's cutoff, or the account may not act.
    case refused
}

/// The server-side records behind legacy session cookies (`legacy_sessions`,
/// `legacy_session_cutoffs`). The cookie keeps api_legacy's format, so a rollback keeps users
/// logged in, but it carries a record id, so logout, password changes and blocking end it for real.
public struct LegacySessionStore: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(core: CoreServices) {
        self.database = core.database
        self.logger = core.logger
    }

    /// Records a new session of the user and returns its id.
    public func open(userID: Int64) async throws -> UUID {
        let rows = try await database.query(
            "INSERT INTO legacy_sessions (user_id) VALUES (\(userID)) RETURNING id", logger: logger)
        for try await id in rows.decode(UUID.self) {
            return id
        }
        throw StoredValueError(column: "legacy_sessions.id", value: "no row returned")
    }

    /// Decides about a cookie of `userID` signed at `signedAt`, carrying `sessionID` (nil for
    /// cookies issued by api_legacy). One round trip: the account's status, the record and the
    /// user's cutoff together, since this runs on every cookie-authenticated request.
    public func verdict(sessionID: UUID?, userID: Int64, signedAt: Date) async throws -> LegacySessionVerdict {
        let rows = try await database.query(
            """
            SELECT u.is_active AND NOT u.is_blocked,
                   s.id IS NOT NULL AND s.revoked_at IS NULL,
                   s.last_seen_at,
                   c.not_before
            FROM users u
            LEFT JOIN legacy_sessions s ON s.id = \(sessionID) AND s.user_id = u.id
            LEFT JOIN legacy_session_cutoffs c ON c.user_id = u.id
            WHERE u.id = \(userID)
            """, logger: logger)
        var found: (mayAct: Bool, live: Bool, lastSeen: Date?, notBefore: Date?)?
        for try await row in rows.decode((Bool, Bool, Date?, Date?).self) {
            found = row
        }
        guard let found, found.mayAct else { return .refused }
        if let sessionID {
            guard found.live else { return .refused }
            // Written at most every few minutes: a polling SPA must not turn reads into writes.
            if let lastSeen = found.lastSeen, Date().timeIntervalSince(lastSeen) > Self.lastSeenResolution {
                try await database.query(
                    "UPDATE legacy_sessions SET last_seen_at = now() WHERE id = \(sessionID)", logger: logger)
            }
            return .live
        }
        if let notBefore = found.notBefore, signedAt < notBefore { return .refused }
        return .acceptedWithoutRecord
    }

    static let lastSeenResolution: TimeInterval = 300

    /// Ends one session (logout). Cookies of the user that carry no record (issued by api_legacy)
    /// end too: a copy of the pre-switch cookie must not outlive the logout.
    public func revoke(sessionID: UUID?, userID: Int64, reason: String) async throws {
        try await database.transaction(logger: logger) { connection in
            if let sessionID {
                try await connection.query(
                    """
                    UPDATE legacy_sessions SET revoked_at = now(), revoke_reason = \(reason)
                    WHERE id = \(sessionID) AND user_id = \(userID) AND revoked_at IS NULL
                    """, logger: logger)
            }
            try await moveCutoff(userID: userID, on: connection)
        }
    }

    /// Ends every legacy session of the user (password change, blocking, deletion).
    public func revokeAll(userID: Int64, reason: String) async throws {
        try await database.transaction(logger: logger) { connection in
            try await connection.query(
                """
                UPDATE legacy_sessions SET revoked_at = now(), revoke_reason = \(reason)
                WHERE user_id = \(userID) AND revoked_at IS NULL
                """, logger: logger)
            try await moveCutoff(userID: userID, on: connection)
        }
    }

    private func moveCutoff(userID: Int64, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO legacy_session_cutoffs (user_id, not_before) SELECT id, now() FROM users WHERE id = \(userID)
            ON CONFLICT (user_id) DO UPDATE SET not_before = greatest(legacy_session_cutoffs.not_before, EXCLUDED.not_before)
            """, logger: logger)
    }
}
