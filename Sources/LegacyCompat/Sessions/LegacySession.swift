import Foundation

/// A valid legacy session: the user it acts for, and its server-side record.
public struct LegacySession: Sendable, Equatable {
    public let userID: Int64
    /// The server-side record behind the cookie (for a pre-switch cookie, the one just created).
    let recordID: UUID
    /// A replacement cookie value to send with the response: set when a pre-switch cookie was
    /// upgraded to a recorded session on this request.
    let upgradedCookie: String?
}
