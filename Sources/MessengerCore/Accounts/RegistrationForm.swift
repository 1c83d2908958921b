/// A registration request that passed the rules of jwt-api.md §3.1.1, checked in the contract's
/// order so the first broken rule is the one reported.
///
/// Fields arrive as `String?`: nil stands for a missing field and for a non-string JSON value
/// alike, and either fails that field's own rule (the reference turned numbers into text).
///
/// Username characters (D-26, decided here): besides the 3–32 byte length, a username may not
/// contain Unicode whitespace, control characters (Cc), invisible format characters (Cf, such as
/// zero-width spaces and direction overrides), `/` or `@`. Those break or spoof the `/@name` deep
/// links. Everything else, non-ASCII letters included, stays allowed, because legacy accounts
/// already use such names. The refusal is 400 `Username contains invalid characters`, checked
/// right after the length rule.
public struct RegistrationForm: Sendable, Equatable {
    public let username: String
    public let email: String
    public let password: String
    /// What the client sent, stored as sent (jwt-api.md §1.7); the username when absent.
    public let displayName: String

    public static let usernameBytes = 3...32
    public static let passwordBytes = 6...1024

    /// The form, or the first rule it breaks. A `displayName` that is not a string counts as
    /// absent: the contract gives that optional field no error of its own.
    public static func validate(
        username: String?, email: String?, password: String?, displayName: String?
    ) -> Result<RegistrationForm, AccountError> {
        guard let username, usernameBytes.contains(username.utf8.count) else { return .failure(.usernameLength) }
        guard username.unicodeScalars.allSatisfy(isAllowedInUsername) else { return .failure(.usernameCharacters) }
        guard let email, email.contains("@") else { return .failure(.invalidEmail) }
        guard let password, password.utf8.count >= passwordBytes.lowerBound else { return .failure(.passwordTooShort) }
        guard password.utf8.count <= passwordBytes.upperBound else { return .failure(.passwordTooLong) }
        return .success(RegistrationForm(
            username: username, email: email, password: password, displayName: displayName ?? username))
    }

    static func isAllowedInUsername(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == "/" || scalar == "@" { return false }
        if scalar.properties.isWhitespace { return false }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }
}
