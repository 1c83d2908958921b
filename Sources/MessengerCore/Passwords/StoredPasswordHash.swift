/// A `users.password_hash` value read the way the legacy systems read it:
/// `<method>$<salt>$<hex digest>`, split at the first two `$`.
///
/// Accepted methods:
/// - Werkzeug `scrypt` / `scrypt:N:r:p` (default 32768:8:1);
/// - Werkzeug `pbkdf2:<hash>` / `pbkdf2:<hash>:<iterations>` (default 1,000,000 iterations);
/// - api_cpp's bare `pbkdf2`: SHA-256, 100,000 iterations. No Werkzeug version writes a bare
///   `pbkdf2`, while Werkzeug's reading of it (1,000,000 iterations) would reject every api_cpp row.
///
/// The salt is used as its UTF-8 bytes, never decoded, in every format (api_cpp's hex salt is
/// hashed as ASCII text).
public struct StoredPasswordHash: Sendable, Equatable {
    public let derivation: PasswordKeyDerivation
    /// UTF-8 bytes of the text between the first and second `$`.
    let salt: [UInt8]
    /// UTF-8 bytes of everything after the second `$`, compared as text.
    let expectedDigest: [UInt8]

    public enum Parsed: Sendable, Equatable {
        case hash(StoredPasswordHash)
        /// Fewer than two `$`: placeholders such as `SYSTEM_ACCOUNT_NO_LOGIN` that match nothing.
        case neverMatches
        /// An unknown method, malformed parameters, or a cost above ``PasswordHashPolicy``'s ceiling.
        case unsupported
    }

    static let apiCppIterations = 100_000
    static let werkzeugDefaultPBKDF2Iterations = 1_000_000
    static let werkzeugDefaultScrypt = PasswordKeyDerivation.scrypt(n: 32_768, r: 8, p: 1)

    public static func parse(_ stored: String) -> Parsed {
        let fields = stored.split(separator: "$", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3 else { return .neverMatches }
        guard let derivation = derivation(forMethod: fields[0]),
            PasswordHashPolicy.isAffordable(derivation)
        else { return .unsupported }
        return .hash(
            StoredPasswordHash(
                derivation: derivation,
                salt: Array(fields[1].utf8),
                expectedDigest: Array(fields[2].utf8)
            )
        )
    }

    /// True when a successful login should replace this hash with a current-policy one.
    public var needsRehash: Bool { !PasswordHashPolicy.isStrong(derivation) }

    private static func derivation(forMethod method: Substring) -> PasswordKeyDerivation? {
        let parts = method.split(separator: ":", omittingEmptySubsequences: false)
        let arguments = parts.dropFirst()
        switch parts[0] {
        case "scrypt":
            if arguments.isEmpty { return werkzeugDefaultScrypt }
            let numbers = arguments.compactMap(decimal)
            guard arguments.count == 3, numbers.count == 3 else { return nil }
            return .scrypt(n: numbers[0], r: numbers[1], p: numbers[2])
        case "pbkdf2":
            switch arguments.count {
            case 0:
                return .pbkdf2(.sha256, iterations: apiCppIterations)
            case 1:
                return pbkdf2Digest(arguments[1]).map { .pbkdf2($0, iterations: werkzeugDefaultPBKDF2Iterations) }
            case 2:
                guard let digest = pbkdf2Digest(arguments[1]), let iterations = decimal(arguments[2]) else {
                    return nil
                }
                return .pbkdf2(digest, iterations: iterations)
            default:
                return nil
            }
        default:
            return nil
        }
    }

    /// hashlib looks hash names up case-insensitively.
    private static func pbkdf2Digest(_ name: Substring) -> PasswordKeyDerivation.PBKDF2Digest? {
        PasswordKeyDerivation.PBKDF2Digest(rawValue: name.lowercased())
    }

    /// Plain ASCII digits only: Python's `int()` would also take signs, spaces and underscores,
    /// but no writer ever produced those and accepting them buys nothing.
    private static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(text)
    }
}
