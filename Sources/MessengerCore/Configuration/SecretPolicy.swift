/// Rules for the signing secrets (jwt-api.md §4.1, D-7): at least 32 bytes, not a published
/// default, not one repeated character.
public enum SecretPolicy {
    public static let minimumByteCount = 32

    /// Defaults shipped by the legacy deployments: anyone can read them, so anyone could forge
    /// tokens or session cookies signed with them.
    static let knownDefaults: Set<String> = [
        "change-me",
        "change-me-in-production",
        "change-me-in-production-use-a-long-random-string",
        "dev-secret-change-me",
        "secret",
    ]

    /// Returns why `secret` is unacceptable, or nil when it is fine.
    public static func problem(with secret: String) -> String? {
        if knownDefaults.contains(secret) {
            return "is a published default value; generate a random secret (e.g. `openssl rand -hex 32`)"
        }
        if secret.utf8.count < minimumByteCount {
            return "must be at least \(minimumByteCount) bytes long (got \(secret.utf8.count))"
        }
        if let first = secret.unicodeScalars.first, secret.unicodeScalars.allSatisfy({ $0 == first }) {
            return "must not be a single repeated character"
        }
        return nil
    }
}
