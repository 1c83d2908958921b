/// The outcome of checking a password against a stored hash.
public enum PasswordCheck: Sendable, Equatable {
    /// The password is right. `needsRehash` asks the caller to store a fresh hash from
    /// ``PasswordHasher/hash(_:)``: it is false only for PBKDF2-SHA-256/384/512 with at least
    /// 600,000 iterations and for scrypt with N ≥ 32,768 and r ≥ 8 (Werkzeug's default), so it is
    /// true for every api_cpp `pbkdf2$…` row and for older or smaller Werkzeug parameters.
    case match(needsRehash: Bool)
    /// The password is wrong, or the stored value can never match (it has fewer than two `$`).
    case mismatch
    /// The stored value names a method or parameters this server refuses to run. The legacy
    /// application answered such rows with a 500; callers decide what to show instead.
    case unsupportedFormat
}
