/// What this server writes, what it still accepts without asking for a rehash, and the cost
/// ceiling above which it refuses to run a stored hash at all.
///
/// New hashes are `pbkdf2:sha256:600000` in Werkzeug's format, so the legacy Flask app can still
/// verify them after a rollback.
///
/// A stored hash is strong enough (no rehash) when it is
/// - PBKDF2 with SHA-256, SHA-384 or SHA-512 and at least 600,000 iterations, or
/// - scrypt with N ≥ 32,768 and r ≥ 8 (Werkzeug's default `scrypt:32768:8:1`, about 32 MiB).
///
/// Everything else is verified but flagged: api_cpp's `pbkdf2$…` (100,000 iterations), older
/// Werkzeug iteration counts (150,000, 260,000), SHA-1/SHA-224/MD5 PBKDF2, and small scrypt
/// parameters.
enum PasswordHashPolicy {
    static let currentDigest = PasswordKeyDerivation.PBKDF2Digest.sha256
    static let currentIterations = 600_000
    static let current = PasswordKeyDerivation.pbkdf2(currentDigest, iterations: currentIterations)
    static let saltLength = 16

    static let minimumStrongPBKDF2Iterations = 600_000
    static let minimumStrongScryptN = 32_768
    static let minimumStrongScryptR = 8

    // A crafted row must not be able to hang a pool thread or exhaust memory. Werkzeug's own
    // defaults sit well inside these: 1,000,000 iterations; scrypt 32 MiB at cost N·r·p = 2^18.
    static let maximumPBKDF2Iterations = 10_000_000
    static let maximumScryptMemoryBytes = 256 * 1024 * 1024
    static let maximumScryptCost = 1 << 21

    static func isStrong(_ derivation: PasswordKeyDerivation) -> Bool {
        switch derivation {
        case .pbkdf2(let digest, let iterations):
            let strongDigests: Set<PasswordKeyDerivation.PBKDF2Digest> = [.sha256, .sha384, .sha512]
            return strongDigests.contains(digest) && iterations >= minimumStrongPBKDF2Iterations
        case .scrypt(let n, let r, _):
            return n >= minimumStrongScryptN && r >= minimumStrongScryptR
        }
    }

    /// Whether the parameters are ones this server is willing to spend CPU and memory on.
    static func isAffordable(_ derivation: PasswordKeyDerivation) -> Bool {
        switch derivation {
        case .pbkdf2(_, let iterations):
            return (1...maximumPBKDF2Iterations).contains(iterations)
        case .scrypt(let n, let r, let p):
            guard n >= 2, n.nonzeroBitCount == 1, r >= 1, p >= 1 else { return false }
            // scrypt also requires N < 2^(16·r); both BoringSSL and OpenSSL refuse otherwise.
            if 16 * r <= 62, n >= 1 << (16 * r) { return false }
            let (memoryPerBlock, memoryOverflow) = n.multipliedReportingOverflow(by: r)
            guard !memoryOverflow, memoryPerBlock <= maximumScryptMemoryBytes / 128 else { return false }
            let (cost, costOverflow) = memoryPerBlock.multipliedReportingOverflow(by: p)
            return !costOverflow && cost <= maximumScryptCost
        }
    }
}
