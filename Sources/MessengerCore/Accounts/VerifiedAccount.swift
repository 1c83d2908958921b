/// An account whose password was just proven and which may log in (not blocked, active).
public struct VerifiedAccount: Sendable, Equatable {
    public let id: Int64
    /// The stored spelling, whatever case the login used.
    public let username: String
    public let isAdmin: Bool
}
