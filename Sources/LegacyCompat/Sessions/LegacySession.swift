import Foundation

/// A valid legacy session: the user it acts for, and its server-side record.
public struct LegacySession: Sendable, Equatable {
    public let userID: Int64
    /// The record id the cookie carries; nil only while a pre-switch cookie is being upgraded and
    /// the record could not be written.
    let recordID: UUID?
    /// A replacement cookie value to send with the response: set when a pre-switch cookie was
    /// upgraded to a recorded session on this request.
    let upgradedCookie: String?
}
