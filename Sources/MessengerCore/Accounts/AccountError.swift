/// Why an account operation was refused. The JWT API maps each case to the status and message of
/// jwt-api.md §3.1 at its edge; the cases name the rule, not the wording.
public enum AccountError: Error, Equatable, Sendable {
    /// Registration: the username is not 3–32 UTF-8 bytes, or is not a string.
    case usernameLength
    /// Registration: the username contains a character that breaks `/@name` links (D-26).
    case usernameCharacters
    /// Registration: the e-mail address is empty, has no `@`, or is not a string.
    case invalidEmail
    /// Registration: the password is under 6 UTF-8 bytes, or is not a string.
    case passwordTooShort
    /// Registration: the password is over 1024 UTF-8 bytes.
    case passwordTooLong
    /// Registration: the username (case-insensitively) or the e-mail address is taken.
    case usernameOrEmailTaken
    /// Login: the username or the password is empty or missing.
    case credentialsRequired
    /// Login: unknown or inactive user, or a wrong password; deliberately one case (D-14).
    case invalidCredentials
    /// Login or refresh by a blocked account, after its credentials were proven.
    case accountBlocked
    /// Refresh or logout: the `refresh_token` field is empty, missing or not a string.
    case refreshTokenRequired
    /// Refresh: the token is invalid, expired, unknown, revoked, reused, or its user may not act.
    case invalidRefreshToken
    /// The account behind a valid access token no longer exists.
    case userNotFound
    /// A rate limit of jwt-api.md §10.2 is exhausted; the window ends in `retryAfter` seconds.
    case rateLimited(retryAfter: Int)
}
