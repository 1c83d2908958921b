import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

@testable import MessengerCore

struct PasswordVector: Sendable, CustomTestStringConvertible {
    let name: String
    let password: String
    let stored: String
    let needsRehash: Bool

    var testDescription: String { name }
}

/// legacy-api.md §9.3 and jwt-api.md §8.1, plus Werkzeug-generated edge rows.
private let vectors: [PasswordVector] = [
    .init(name: "P1", password: "testpass", stored: "scrypt:32768:8:1$eDW700fRGphcp2MH$79a6781fc571bc084758317a328e0a7ddf7cc5a133edd9a3464a67dbbc2bd9c4fd37b429baa87f54bb5c74fbae2f44c72dcce75173e110f19cce05a892cf0e6d", needsRehash: false),
    .init(name: "P2", password: "testpass", stored: "scrypt:32768:8:1$AbCdEfGh12345678$ab40bf784c1061e9f68a8b238632b57d00353977145f08e2cd1ac6064601709c4eb4b29fc9ea7bc2eb8ee72c423f44670b44bf68081bb8146d865739cefc3374", needsRehash: false),
    .init(name: "P3", password: "testpass", stored: "pbkdf2:sha256:1000000$hVI28FVSwVkexo86$d89fc2604dc0621a4baf44331c2e1a1e00ae1c35629c9cabec963faab86c8f7e", needsRehash: false),
    .init(name: "P4", password: "testpass", stored: "pbkdf2:sha256:1000000$AbCdEfGh12345678$24248584f4fd899ff5eb7e842ea895982c2ec45be25c0cb935115c11ab150607", needsRehash: false),
    .init(name: "P5", password: "testpass", stored: "pbkdf2:sha256:1000$71IDdSoL3x1rPKsw$dd3fcac447b68926105176599b0289ae9f5eea63de803d751f3a11f4dd6cec6e", needsRehash: true),
    .init(name: "P6", password: "testpass", stored: "pbkdf2:sha256:1000$AbCdEfGh12345678$c44bcd50078bb5dccdf0f3892bcfe1889a23076f750d38e47c9ffac3247e9a77", needsRehash: true),
    .init(name: "P7", password: "pässwörd ✓", stored: "pbkdf2:sha256:1000$saltsalt$83cbb90a9ffaf74c6ca42fbfc817a1477dbcfa103d543d94214a58f580707b4e", needsRehash: true),
    .init(name: "P8", password: "testpass", stored: "scrypt:1024:8:1$ZQqrIdh8jtCoAHW5$3e5011a20d79d5f33e8c6774f80017bae71c1c88df07a399eba71d1eb415e551dab0e31cb6dd46ee44a6b7701d419c58fcf9584657a145a41a64b6cd0f3519c4", needsRehash: true),
    .init(name: "P9", password: "testpass", stored: "scrypt:1024:8:1$AbCdEfGh12345678$ab292162346cea8dac16bca0372a1beea7df39ba94a1f0f0898efa289c7bcdbb3a9c2a24252beb373b10875648394a7388f0449d9ae8e3d88f43e88dda41edec", needsRehash: true),
    .init(name: "P10", password: "testpass", stored: "scrypt:16384:8:1$HsgWL4iEoslOMt9J$a93130e94377a42efd1767f6fea7d916a099fa2bf3c9b4320c79462abe512c594c14ff17e0200e1cf87c4caf3a52310d6eafc6628cdbd05687bf3484267f6627", needsRehash: true),
    .init(name: "P11", password: "testpass", stored: "pbkdf2:sha512:1000$25GtsNUdhmeJdz31$0f7ae2242c2d53dda8d69ac1d28288563f95d08e4834160ba552096e2f1c8fee74df9ccbcfe0a866eac898778fb45c3c805069d63c9846243582bf11764e350b", needsRehash: true),
    .init(name: "A1", password: "testpass", stored: "pbkdf2$00112233445566778899aabbccddeeff$119e936d288ea20b3177a35d35b92132e51f9dfc244afe169951fc293075af75", needsRehash: true),
    .init(name: "A2", password: "secret123", stored: "pbkdf2$0123456789abcdef0123456789abcdef$feec791d93846073c687280fd279187da27ce36fb7fa5122501c1484d825e381", needsRehash: true),
    .init(name: "A3 / seed alice", password: "testpass", stored: "pbkdf2$d821554c1d77279aeac4a440e55c0c3f$e22e8b99ddc772ddbdc483698928859240389f5f8ff1d1aea9ab9c023375537f", needsRehash: true),
    .init(name: "seed bob", password: "testpass", stored: "pbkdf2$8f69e0c276b5fc2d6c8f961330747c81$da01bd4643101fed6c8a97444f1ff4f543781c5eb268bb446866a23122cdbafd", needsRehash: true),
    .init(name: "seed carol", password: "testpass", stored: "pbkdf2$0d9fd821ebf578b7639275bf426f90a1$65bb5c179813f791bb2b1202d9563caeaecb268841ebd8964e8d3c97c52a82fd", needsRehash: true),
    .init(name: "bare scrypt (Werkzeug default parameters)", password: "testpass", stored: "scrypt$AbCdEfGh12345678$ab40bf784c1061e9f68a8b238632b57d00353977145f08e2cd1ac6064601709c4eb4b29fc9ea7bc2eb8ee72c423f44670b44bf68081bb8146d865739cefc3374", needsRehash: false),
    .init(name: "upper-case hash name (hashlib ignores case)", password: "testpass", stored: "pbkdf2:SHA256:1000$AbCdEfGh12345678$c44bcd50078bb5dccdf0f3892bcfe1889a23076f750d38e47c9ffac3247e9a77", needsRehash: true),
    .init(name: "pbkdf2 sha1", password: "testpass", stored: "pbkdf2:sha1:1000$AbCdEfGh12345678$ad956c006f8c9211bdb0eeb5af3d380e2e3cc9c3", needsRehash: true),
    .init(name: "empty password and salt", password: "", stored: "pbkdf2:sha256:1000$$4fc58a21c100ce1835b8f9991d738b56965d14b24e1761fbdffc69ac5e0b667a", needsRehash: true),
    .init(name: "empty salt scrypt", password: "testpass", stored: "scrypt:1024:8:1$$ac2c93fa1023dc2def5829930b6c2a55b32f17a46357279567d4d264f762fbbc67c1c26c8b69e5f7a3937d014536cf3865c51aa76fc5d47a27fb0c685b14e568", needsRehash: true),
    .init(name: "non-ASCII salt used as UTF-8", password: "testpass", stored: "pbkdf2:sha256:1000$sälz$03b985e040462d7f4ff33c717c15c18e864fef7be84cf0ece0dbbc28ed69d0de", needsRehash: true),
]

/// Runs `body` with a hasher on a private pool and always shuts the pool down afterwards.
private func withHasher<Result: Sendable>(
    threads: Int = 2,
    _ body: (PasswordHasher) async throws -> Result
) async throws -> Result {
    let pool = KeyDerivationPool(numberOfThreads: threads)
    let result: Result
    do {
        result = try await body(PasswordHasher(pool: pool))
    } catch {
        try? await pool.shutdown()
        throw error
    }
    try await pool.shutdown()
    return result
}

@Suite struct PasswordHasherTests {
    @Test(arguments: vectors)
    func vectorMatchesRightPasswordOnly(_ vector: PasswordVector) async throws {
        try await withHasher { hasher in
            let right = try await hasher.verify(vector.password, against: vector.stored)
            #expect(right == .match(needsRehash: vector.needsRehash))
            let wrong = try await hasher.verify("testpasS", against: vector.stored)
            #expect(wrong == .mismatch)
        }
    }

    @Test(arguments: ["nodollar", "SEED_PLACEHOLDER", "SYSTEM_ACCOUNT_NO_LOGIN", "one$dollar", ""])
    func valueWithoutTwoDollarsNeverMatches(_ stored: String) async throws {
        #expect(StoredPasswordHash.parse(stored) == .neverMatches)
        let result = try await withHasher { try await $0.verify("testpass", against: stored) }
        #expect(result == .mismatch)
    }

    @Test(arguments: [
        "sha256$abc$def", "md5$abc$def", "plain$$", "pbkdf2:sha3_256:1000$salt$00", "pbkdf2:sha256:1000:7$salt$00",
        "pbkdf2:$salt$00", "pbkdf2:sha256:$salt$00", "pbkdf2:sha256:+1000$salt$00", "scrypt:32768:8$salt$00",
        "scrypt:$salt$00", "scrypt:32768:8:1:1$salt$00", "scrypt:-32768:8:1$salt$00", "PBKDF2:sha256:1000$salt$00",
    ])
    func unknownMethodIsUnsupported(_ stored: String) async throws {
        #expect(StoredPasswordHash.parse(stored) == .unsupported)
        let result = try await withHasher { try await $0.verify("testpass", against: stored) }
        #expect(result == .unsupportedFormat)
    }

    /// Checked against a pool that is already shut down: had any derivation been attempted,
    /// `verify` would throw, so these rows cost no work at all.
    @Test(arguments: [
        "scrypt:1048576:8:1$salt$00",  // 1 GiB
        "scrypt:4294967296:8:1$salt$00",
        "scrypt:9223372036854775807:8:1$salt$00",
        "scrypt:1000:8:1$salt$00",  // not a power of two
        "scrypt:1:8:1$salt$00",
        "scrypt:16384:8:64$salt$00",  // 2^23 block mixes
        "scrypt:16:1:99999999$salt$00",
        "scrypt:65536:1:1$salt$00",  // N must be below 2^(16·r)
        "scrypt:32768:0:1$salt$00",
        "scrypt:32768:8:0$salt$00",
        "scrypt:32768:99999999999999999999:1$salt$00",
        "pbkdf2:sha256:10000001$salt$00",
        "pbkdf2:sha256:0$salt$00",
        "pbkdf2:sha512:99999999999999999999999$salt$00",
    ])
    func hostileParametersAreRefusedWithoutWork(_ stored: String) async throws {
        #expect(StoredPasswordHash.parse(stored) == .unsupported)
        let pool = KeyDerivationPool(numberOfThreads: 1)
        try await pool.shutdown()
        let result = try await PasswordHasher(pool: pool).verify("testpass", against: stored)
        #expect(result == .unsupportedFormat)
    }

    #if os(Linux)
    @Test("derivations run at a lower scheduling priority than request handling, on their own threads only")
    func derivationThreadsAreNiced() async throws {
        let pool = KeyDerivationPool(numberOfThreads: 1)
        let niceInPool = try await pool.run { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        try await pool.shutdown()
        #expect(niceInPool == KeyDerivationPool.niceness)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) < KeyDerivationPool.niceness)
    }
    #endif

    @Test func bareMethodIsApiCppNotWerkzeug() {
        let apiCpp = "pbkdf2$d821554c1d77279aeac4a440e55c0c3f$e22e8b99ddc772ddbdc483698928859240389f5f8ff1d1aea9ab9c023375537f"
        guard case .hash(let parsed) = StoredPasswordHash.parse(apiCpp) else {
            Issue.record("A3 did not parse")
            return
        }
        #expect(parsed.derivation == .pbkdf2(.sha256, iterations: 100_000))
        #expect(parsed.salt == Array("d821554c1d77279aeac4a440e55c0c3f".utf8))

        guard case .hash(let werkzeug) = StoredPasswordHash.parse("pbkdf2:sha256$salt$00") else {
            Issue.record("pbkdf2:sha256 did not parse")
            return
        }
        #expect(werkzeug.derivation == .pbkdf2(.sha256, iterations: 1_000_000))
    }

    @Test func hashPartKeepsLaterDollars() {
        guard case .hash(let parsed) = StoredPasswordHash.parse("pbkdf2:sha256:1000$salt$ab$cd") else {
            Issue.record("did not parse")
            return
        }
        #expect(parsed.salt == Array("salt".utf8))
        #expect(parsed.expectedDigest == Array("ab$cd".utf8))
    }

    @Test func upperCaseStoredHexNeverMatches() async throws {
        let upper = "pbkdf2:sha256:1000$AbCdEfGh12345678$" + "c44bcd50078bb5dccdf0f3892bcfe1889a23076f750d38e47c9ffac3247e9a77".uppercased()
        let result = try await withHasher { try await $0.verify("testpass", against: upper) }
        #expect(result == .mismatch)
    }

    @Test func truncatedStoredHexIsMismatch() async throws {
        let truncated = "pbkdf2:sha256:1000$AbCdEfGh12345678$c44bcd50078bb5dccdf0f3892bcfe188"
        let result = try await withHasher { try await $0.verify("testpass", against: truncated) }
        #expect(result == .mismatch)
    }

    @Test func freshHashHasWerkzeugFormatAndVerifies() async throws {
        try await withHasher { hasher in
            let first = try await hasher.hash("testpass")
            let second = try await hasher.hash("testpass")
            let pattern = #/^pbkdf2:sha256:600000\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$/#
            #expect(first.wholeMatch(of: pattern) != nil, "\(first)")
            #expect(first != second)
            #expect(try await hasher.verify("testpass", against: first) == .match(needsRehash: false))
            #expect(try await hasher.verify("testpasS", against: first) == .mismatch)
        }
    }

    @Test func werkzeugVerifiesOurHashes() async throws {
        let password = "pässwörd ✓ \"$:"
        let stored = try await withHasher { try await $0.hash(password) }
        #expect(try runWerkzeug(check: stored, password: password) == "True")
        #expect(try runWerkzeug(check: stored, password: "testpasS") == "False")
    }

    @Test func weVerifyFreshWerkzeugHashes() async throws {
        let password = "pässwörd ✓ \"$:"
        for method in ["scrypt", "pbkdf2:sha512:1000", "pbkdf2:sha256:600000"] {
            let stored = try runWerkzeug(generateWith: method, password: password)
            let result = try await withHasher { try await $0.verify(password, against: stored) }
            #expect(result == .match(needsRehash: method == "pbkdf2:sha512:1000"), "\(stored)")
        }
    }

    @Test func dummyVerificationCompletes() async throws {
        try await withHasher { hasher in
            await hasher.burnDummyVerification("whatever")
        }
    }

    @Test func shutDownPoolMakesVerifyThrow() async throws {
        let pool = KeyDerivationPool(numberOfThreads: 1)
        try await pool.shutdown()
        let hasher = PasswordHasher(pool: pool)
        await #expect(throws: (any Error).self) {
            _ = try await hasher.verify("testpass", against: vectors[5].stored)
        }
        await #expect(throws: (any Error).self) {
            _ = try await hasher.hash("testpass")
        }
        await hasher.burnDummyVerification("testpass")
    }

    @Test func concurrentVerificationsQueueOnTheBoundedPool() async throws {
        try await withHasher(threads: 1) { hasher in
            try await withThrowingTaskGroup(of: PasswordCheck.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await hasher.verify("testpass", against: vectors[5].stored) }
                }
                for try await result in group {
                    #expect(result == .match(needsRehash: true))
                }
            }
        }
    }

    @Test func constantTimeEqualsComparesWholeSequences() {
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
        #expect(ConstantTime.equals(Array("abc".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), Array("abd".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), Array("ab".utf8)))
        #expect(!ConstantTime.equals(Array("ab".utf8), Array("abc".utf8)))
        #expect(!ConstantTime.equals(Array("abc".utf8), [UInt8]()))
        #expect(!ConstantTime.equals(Array("ab\u{0}".utf8), Array("ab".utf8)))
    }
}

/// The real Werkzeug (3.1.8 on the build machines). A missing interpreter or module fails the
/// test: this cross-check is the only proof the legacy app can read what we write.
private func runWerkzeug(check stored: String, password: String) throws -> String {
    try runPython(
        "import os; from werkzeug.security import check_password_hash; "
            + "print(check_password_hash(os.environ['STORED'], os.environ['PASSWORD']))",
        environment: ["STORED": stored, "PASSWORD": password]
    )
}

private func runWerkzeug(generateWith method: String, password: String) throws -> String {
    try runPython(
        "import os; from werkzeug.security import generate_password_hash; "
            + "print(generate_password_hash(os.environ['PASSWORD'], os.environ['METHOD']))",
        environment: ["METHOD": method, "PASSWORD": password]
    )
}

private struct PythonFailed: Error, CustomStringConvertible {
    let status: Int32
    let stderr: String
    var description: String { "python3 exited with \(status): \(stderr)" }
}

private func runPython(_ script: String, environment: [String: String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw PythonFailed(status: process.terminationStatus, stderr: String(decoding: errorData, as: UTF8.self))
    }
    return String(decoding: outputData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
