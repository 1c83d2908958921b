import Crypto
import _CryptoExtras

/// A key-derivation function together with the cost parameters a stored hash was written with.
public enum PasswordKeyDerivation: Sendable, Equatable {
    /// Werkzeug's `scrypt:N:r:p`; always 64 bytes of output.
    case scrypt(n: Int, r: Int, p: Int)
    /// Werkzeug's `pbkdf2:<hash>:<iterations>` and api_cpp's bare `pbkdf2` (which is
    /// SHA-256 with 100,000 iterations); output is one digest long.
    case pbkdf2(PBKDF2Digest, iterations: Int)

    /// The hash functions Python's `hashlib.pbkdf2_hmac` accepts that swift-crypto can run.
    public enum PBKDF2Digest: String, Sendable, CaseIterable {
        case md5, sha1, sha224, sha256, sha384, sha512

        var outputByteCount: Int {
            switch self {
            case .md5: 16
            case .sha1: 20
            case .sha224: 28
            case .sha256: 32
            case .sha384: 48
            case .sha512: 64
            }
        }

        var cryptoFunction: KDF.Insecure.PBKDF2.HashFunction {
            switch self {
            case .md5: .insecureMD5
            case .sha1: .insecureSHA1
            case .sha224: .insecureSHA224
            case .sha256: .sha256
            case .sha384: .sha384
            case .sha512: .sha512
            }
        }
    }

    static let scryptOutputByteCount = 64

    /// Runs the derivation and returns the lowercase hex text Werkzeug would store, as ASCII
    /// bytes, so it can be compared with the stored text without decoding it (Werkzeug compares
    /// the strings, so stored uppercase hex must not match).
    ///
    /// This blocks for as long as the cost parameters demand: call it on ``KeyDerivationPool``.
    func derivedHex(password: [UInt8], salt: [UInt8]) throws -> [UInt8] {
        let key: SymmetricKey
        switch self {
        case .scrypt(let n, let r, let p):
            key = try KDF.Scrypt.deriveKey(
                from: password,
                salt: salt,
                outputByteCount: Self.scryptOutputByteCount,
                rounds: n,
                blockSize: r,
                parallelism: p
            )
        case .pbkdf2(let digest, let iterations):
            // Legacy rows carry fewer rounds than swift-crypto's checked floor of 210,000;
            // the parser has already bounded the count.
            key = try KDF.Insecure.PBKDF2.deriveKey(
                from: password,
                salt: salt,
                using: digest.cryptoFunction,
                outputByteCount: digest.outputByteCount,
                unsafeUncheckedRounds: iterations
            )
        }
        return key.withUnsafeBytes { Self.lowercaseHex($0) }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func lowercaseHex(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return text
    }
}
