/// Who an authenticated request acts for, after the token and the account status were checked.
public struct AccessIdentity: Sendable, Equatable {
    public let userID: Int64
    public let isAdmin: Bool

    public init(userID: Int64, isAdmin: Bool) {
        self.userID = userID
        self.isAdmin = isAdmin
    }
}
