/// Writes and checks `users.password_hash` values in every format the legacy systems produced.
///
/// All key derivation runs on the ``KeyDerivationPool`` given at creation; the caller owns the
/// pool and shuts it down.
public struct PasswordHasher: Sendable {
    private let pool: KeyDerivationPool

    public init(pool: KeyDerivationPool) {
        self.pool = pool
    }

    /// A new hash in Werkzeug's `pbkdf2:sha256:600000$<salt>$<hex>` format, with a 16-character
    /// alphanumeric salt, exactly as `generate_password_hash(p, "pbkdf2:sha256:600000")` writes it.
    public func hash(_ password: String) async throws -> String {
        let salt = Self.makeSalt()
        let derivation = PasswordHashPolicy.current
        let passwordBytes = Array(password.utf8)
        let saltBytes = Array(salt.utf8)
        let digest = try await pool.run {
            try derivation.derivedHex(password: passwordBytes, salt: saltBytes)
        }
        let method = "pbkdf2:\(PasswordHashPolicy.currentDigest.rawValue):\(PasswordHashPolicy.currentIterations)"
        return "\(method)$\(salt)$\(String(decoding: digest, as: UTF8.self))"
    }

    /// Checks `password` (its UTF-8 bytes exactly, no normalisation) against a stored value.
    ///
    /// A value that can never match still costs one current-policy derivation, so response time
    /// does not reveal which accounts cannot log in. An unsupported value returns at once: it
    /// names no account property an attacker could learn from.
    ///
    /// Throws only when the pool is shut down or the task is cancelled.
    public func verify(_ password: String, against stored: String) async throws -> PasswordCheck {
        let parsed: StoredPasswordHash
        switch StoredPasswordHash.parse(stored) {
        case .hash(let hash):
            parsed = hash
        case .neverMatches:
            await burnDummyVerification(password)
            return .mismatch
        case .unsupported:
            return .unsupportedFormat
        }
        let passwordBytes = Array(password.utf8)
        let computed: [UInt8]? = try await pool.run {
            // The parser's bounds mirror the library's, so a refusal here means parameters it
            // could not foresee; report them like any other unusable row.
            try? parsed.derivation.derivedHex(password: passwordBytes, salt: parsed.salt)
        }
        guard let computed else { return .unsupportedFormat }
        guard ConstantTime.equals(computed, parsed.expectedDigest) else { return .mismatch }
        return .match(needsRehash: parsed.needsRehash)
    }

    /// Spends what a current-policy verification costs, for logins naming an unknown user, so
    /// that response time does not reveal whether an account exists.
    public func burnDummyVerification(_ password: String) async {
        let passwordBytes = Array(password.utf8)
        let saltBytes = Array(Self.dummySalt.utf8)
        let derivation = PasswordHashPolicy.current
        _ = try? await pool.run {
            try derivation.derivedHex(password: passwordBytes, salt: saltBytes)
        }
    }

    private static let dummySalt = "DummySaltForTime"
    private static let saltAlphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    private static func makeSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        var salt = ""
        for _ in 0..<PasswordHashPolicy.saltLength {
            // randomElement draws an unbiased index, matching Werkzeug's secrets.choice.
            if let character = saltAlphabet.randomElement(using: &generator) {
                salt.append(character)
            }
        }
        return salt
    }
}
