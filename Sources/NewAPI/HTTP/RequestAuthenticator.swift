import Hummingbird
import MessengerCore

/// The bearer check of jwt-api.md §1.3, in its order, followed by the account-status check of
/// §4.5 on every request (a blocked or deleted user loses access at once).
public struct RequestAuthenticator: Sendable {
    let tokens: TokenService
    let accountStatus: AccountStatusLookup

    public init(core: CoreServices) {
        self.tokens = core.tokens
        self.accountStatus = core.accountStatus
    }

    public static let missingHeader = APIError(.unauthorized, "Missing Authorization header")
    public static let badScheme = APIError(.unauthorized, "Authorization header must start with 'Bearer '")
    public static let invalidToken = APIError(.unauthorized, "Invalid or expired token")
    public static let wrongKind = APIError(.unauthorized, "Expected access token")

    public func identity(of request: Request) async throws -> AccessIdentity {
        guard let header = request.headers[.authorization], !header.isEmpty else { throw Self.missingHeader }
        guard header.hasPrefix("Bearer ") else { throw Self.badScheme }
        let token = String(header.dropFirst("Bearer ".count))
        switch await tokens.verify(token, expecting: .access) {
        case .failure(.invalid): throw Self.invalidToken
        case .failure(.wrongKind): throw Self.wrongKind
        case .success(let claims):
            guard let userID = claims.userID,
                  let status = try await accountStatus.status(userID: userID), status.mayAct
            else { throw Self.invalidToken }
            // The claim can be up to one access TTL stale; the row is the truth.
            return AccessIdentity(userID: userID, isAdmin: status.isAdmin)
        }
    }
}
