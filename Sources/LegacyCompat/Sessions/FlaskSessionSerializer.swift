import Crypto
import Foundation
import MessengerCore

/// Reads and writes the legacy Flask app's `session` cookie: Flask 3.1's secure-cookie session,
/// i.e. itsdangerous' URL-safe timed serializer with an HMAC-SHA1 signature
/// (legacy-api.md §8.2).
///
/// Cookie value: `P.T.S`, where P is the (optionally zlib-compressed, then `.`-prefixed) JSON
/// payload, T the signing time and S the signature, all base64url without padding.
public struct FlaskSessionSerializer: Sendable {
    /// Seconds a cookie stays valid after it was signed; Flask's default 31 days.
    public let maxAge: Int64
    /// Nil when the secret is empty: Flask then disables sessions altogether.
    private let derivedKey: SymmetricKey?

    /// Larger than any cookie a browser sends, small enough that a compressed cookie built to
    /// inflate hugely costs nothing.
    static let maximumPayloadBytes = 64 * 1024

    private static let keyDerivationSalt = Array("cookie-session".utf8)
    private static let separator = UInt8(ascii: ".")

    public init(secretKey: String, maxAge: Int64 = 2_678_400) {
        self.maxAge = maxAge
        if secretKey.isEmpty {
            derivedKey = nil
        } else {
            // itsdangerous' "hmac" key derivation with Flask's salt.
            let code = HMAC<Insecure.SHA1>.authenticationCode(
                for: Self.keyDerivationSalt,
                using: SymmetricKey(data: Array(secretKey.utf8))
            )
            derivedKey = SymmetricKey(data: Array(code))
        }
    }

    /// The cookie value Flask would set for `payload` signed at `timestamp` (Unix seconds).
    public func encode(_ payload: [String: JSONValue], timestamp: Int64) throws -> String {
        guard let derivedKey else { throw FlaskSessionError.sessionsDisabled }
        guard timestamp >= 0 else { throw FlaskSessionError.negativeTimestamp }
        // Flask would wrap such objects in a " di" tag; nothing here ever needs to store one.
        guard FlaskSessionPayload.isStorable(.object(payload)) else {
            throw FlaskSessionError.tagLikeObject
        }
        let json = PythonJSONWriter.serialize(payload)
        let compressed = try SessionPayloadZlib.compress(json)
        var signed: [UInt8]
        if compressed.count < json.count - 1 {
            signed = [Self.separator] + URLSafeBase64.encode(compressed)
        } else {
            signed = URLSafeBase64.encode(json)
        }
        signed.append(Self.separator)
        signed.append(contentsOf: URLSafeBase64.encode(Self.minimalBigEndian(UInt64(timestamp))))
        let signature = Self.signature(of: signed, using: derivedKey)
        signed.append(Self.separator)
        signed.append(contentsOf: URLSafeBase64.encode(signature))
        return String(decoding: signed, as: UTF8.self)
    }

    /// The session in `cookieValue` if it is authentic and was signed between `now - maxAge` and
    /// `now`; nil otherwise. Like Flask, any failure simply means "no session".
    public func decode(_ cookieValue: String, now: Int64) -> [String: JSONValue]? {
        open(cookieValue, now: now)?.payload
    }

    /// A session payload with the time it was signed (Unix seconds).
    public struct SignedSession: Sendable, Equatable {
        public let payload: [String: JSONValue]
        public let signedAt: Int64
    }

    /// Like ``decode(_:now:)``, keeping the signing time (legacy cookies are checked against their
    /// user's revocation cutoff).
    public func open(_ cookieValue: String, now: Int64) -> SignedSession? {
        guard let derivedKey else { return nil }
        let cookie = Array(cookieValue.utf8)
        guard let signatureDot = cookie.lastIndex(of: Self.separator),
            let signature = URLSafeBase64.decode(cookie[(signatureDot + 1)...])
        else { return nil }
        let signed = cookie[..<signatureDot]
        guard ConstantTime.equals(Self.signature(of: signed, using: derivedKey), signature) else { return nil }

        guard let timestampDot = signed.lastIndex(of: Self.separator),
            let timestampBytes = URLSafeBase64.decode(signed[(timestampDot + 1)...]),
            let timestamp = Self.integer(bigEndian: timestampBytes)
        else { return nil }
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, age >= 0, age <= maxAge else { return nil }

        var payload = signed[..<timestampDot]
        let isCompressed = payload.first == Self.separator
        if isCompressed { payload = payload.dropFirst() }
        guard let encoded = URLSafeBase64.decode(payload), encoded.count <= Self.maximumPayloadBytes else {
            return nil
        }
        let json: [UInt8]
        if isCompressed {
            guard let inflated = SessionPayloadZlib.inflate(encoded, limit: Self.maximumPayloadBytes) else {
                return nil
            }
            json = inflated
        } else {
            json = encoded
        }
        guard let session = try? JSONDecoder().decode([String: JSONValue].self, from: Data(json)),
            FlaskSessionPayload.isStorable(.object(session))
        else { return nil }
        return SignedSession(payload: session, signedAt: timestamp)
    }

    /// The raw signature of `signingInput` (`P.T`); nil when sessions are disabled.
    func signature(of signingInput: [UInt8]) -> [UInt8]? {
        derivedKey.map { Self.signature(of: signingInput, using: $0) }
    }

    /// itsdangerous' derived key; nil when sessions are disabled.
    var derivedKeyBytes: [UInt8]? {
        derivedKey?.withUnsafeBytes { Array($0) }
    }

    private static func signature(of signingInput: some DataProtocol, using key: SymmetricKey) -> [UInt8] {
        Array(HMAC<Insecure.SHA1>.authenticationCode(for: signingInput, using: key))
    }

    /// itsdangerous' int_to_bytes: big-endian with leading zero bytes removed (none at all for 0).
    private static func minimalBigEndian(_ value: UInt64) -> [UInt8] {
        let bytes = withUnsafeBytes(of: value.bigEndian) { Array($0) }
        return Array(bytes.drop { $0 == 0 })
    }

    /// Python reads any length; beyond Int64 the time lies so far ahead that it is rejected anyway.
    private static func integer(bigEndian bytes: [UInt8]) -> Int64? {
        let significant = bytes.drop { $0 == 0 }
        guard significant.count <= 8 else { return nil }
        let value = significant.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Int64(exactly: value)
    }
}
