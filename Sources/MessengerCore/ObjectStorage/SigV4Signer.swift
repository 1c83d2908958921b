import Crypto
import Foundation
import Synchronization

/// AWS Signature Version 4 as S3 applies it: header signing for the S3 client and query presigning
/// for object URLs (jwt-api.md §1.9). Hand-written on purpose (design.md) and pinned by AWS's
/// published S3 examples and the §1.9 vector, so any canonicalisation slip shows up as a test failure.
///
/// Paths are passed decoded (`/bucket/key with spaces`); the signer applies S3's URI encoding once.
/// S3 never normalises paths, so neither does the signer: `a//b` or `./` are signed as given.
public struct SigV4Signer: Sendable {
    public static let algorithm = "AWS4-HMAC-SHA256"
    /// `x-amz-content-sha256` / presign payload value when the body is not hashed.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of the empty body, the payload hash of every GET, HEAD and DELETE.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public let accessKey: String
    public let region: String
    public let service: String
    /// Kept only as the `kDate` HMAC key (`"AWS4" + secret`), so printing or dumping a signer never
    /// shows the secret itself.
    private let dateKey: SymmetricKey
    /// The signing key of the current day: deriving it is four HMACs, and every presigned URL of
    /// a chat list would repeat them.
    private let currentSigningKey = SigningKeyOfTheDay()

    public init(accessKey: String, secretKey: String, region: String = "us-east-1", service: String = "s3") {
        self.accessKey = accessKey
        self.region = region
        self.service = service
        self.dateKey = SymmetricKey(data: Array("AWS4\(secretKey)".utf8))
    }

    /// Lower-case hex SHA-256 of a request body, for `payloadHash`.
    public static func payloadHash(of body: some DataProtocol) -> String {
        LowercaseHex.encode(SHA256.hash(data: body))
    }

    /// Signs a request through the `Authorization` header.
    ///
    /// Every header in `headers` is signed; `host` (from `host`), `x-amz-date` and
    /// `x-amz-content-sha256` are always signed, and any caller-supplied copies of those three are
    /// ignored so the signed values and the sent values cannot disagree.
    ///
    /// - Returns: the headers to add to the request: `Authorization`, `x-amz-date` and
    ///   `x-amz-content-sha256`. `Host` is not returned: the HTTP client sends it from the URL, and
    ///   `host` must be exactly that value (`host:port` when the port is not the scheme's default).
    public func signHeaders(
        method: String, host: String, path: String, query: [(String, String)] = [],
        headers: [(String, String)] = [], payloadHash: String, date: Date
    ) -> [(String, String)] {
        let timestamp = AmzTimestamp(date)
        let managed: Set<String> = ["host", "x-amz-date", "x-amz-content-sha256"]
        let signedHeaders =
            headers.filter { !managed.contains($0.0.lowercased()) }
            + [("host", host), ("x-amz-date", timestamp.dateTime), ("x-amz-content-sha256", payloadHash)]
        let canonical = CanonicalHeaders(signedHeaders)
        let request = canonicalRequest(
            method: method, path: path, canonicalQuery: Self.canonicalQueryString(query),
            headers: canonical, payloadHash: payloadHash)
        let signature = signature(canonicalRequest: request, timestamp: timestamp)
        let authorization =
            "\(Self.algorithm) Credential=\(accessKey)/\(scope(timestamp)),SignedHeaders=\(canonical.names),Signature=\(signature)"
        return [
            ("Authorization", authorization),
            ("x-amz-date", timestamp.dateTime),
            ("x-amz-content-sha256", payloadHash),
        ]
    }

    /// A presigned URL, signed for `host` only with an unsigned payload.
    ///
    /// The query string is the canonical query string followed by `X-Amz-Signature`. The `X-Amz-*`
    /// keys sort first among themselves in exactly the jwt-api.md §1.9 order, so without extras the
    /// URL is byte-identical to the reference's. Extras (`response-content-disposition`,
    /// `response-content-type`, …) are signed like every other parameter and appear in canonical
    /// order too: lower-case keys sort after `X-Amz-SignedHeaders`, i.e. between it and
    /// `X-Amz-Signature`. Extras must not use an `X-Amz-` key.
    ///
    /// - Parameter expires: lifetime in seconds; S3 accepts 1...604800.
    public func presignedURL(
        method: String = "GET", scheme: String = "http", host: String, path: String,
        extraQuery: [(String, String)] = [], expires: Int, date: Date
    ) -> String {
        assert(
            !extraQuery.contains { $0.0.lowercased().hasPrefix("x-amz-") },
            "extra presign parameters must not override the X-Amz-* ones")
        let timestamp = AmzTimestamp(date)
        let query =
            [
                ("X-Amz-Algorithm", Self.algorithm),
                ("X-Amz-Credential", "\(accessKey)/\(scope(timestamp))"),
                ("X-Amz-Date", timestamp.dateTime),
                ("X-Amz-Expires", String(expires)),
                ("X-Amz-SignedHeaders", "host"),
            ] + extraQuery
        let canonicalQuery = Self.canonicalQueryString(query)
        let request = canonicalRequest(
            method: method, path: path, canonicalQuery: canonicalQuery,
            headers: CanonicalHeaders([("host", host)]), payloadHash: Self.unsignedPayload)
        let signature = signature(canonicalRequest: request, timestamp: timestamp)
        return "\(scheme)://\(host)\(Self.canonicalPath(path))?\(canonicalQuery)&X-Amz-Signature=\(signature)"
    }

    // MARK: - Canonicalisation steps, internal so tests can compare them with AWS's worked examples

    func canonicalRequest(
        method: String, path: String, canonicalQuery: String, headers: CanonicalHeaders, payloadHash: String
    ) -> String {
        [method, Self.canonicalPath(path), canonicalQuery, headers.block, headers.names, payloadHash]
            .joined(separator: "\n")
    }

    func stringToSign(canonicalRequest: String, timestamp: AmzTimestamp) -> String {
        [
            Self.algorithm, timestamp.dateTime, scope(timestamp),
            LowercaseHex.encode(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
    }

    func signature(canonicalRequest: String, timestamp: AmzTimestamp) -> String {
        let toSign = stringToSign(canonicalRequest: canonicalRequest, timestamp: timestamp)
        return LowercaseHex.encode(hmac(signingKey(day: timestamp.day), toSign))
    }

    /// kDate → kRegion → kService → kSigning.
    func signingKey(day: String) -> SymmetricKey {
        if let key = currentSigningKey.key(for: day) { return key }
        var key = dateKey
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: hmac(key, part))
        }
        currentSigningKey.remember(key, for: day)
        return key
    }

    static func canonicalPath(_ path: String) -> String {
        path.isEmpty ? "/" : S3URIEncoding.path(path)
    }

    /// Sorted by encoded key, then encoded value (byte order), as SigV4 requires.
    static func canonicalQueryString(_ items: [(String, String)]) -> String {
        items
            .map { (key: S3URIEncoding.queryComponent($0.0), value: S3URIEncoding.queryComponent($0.1)) }
            .sorted { lhs, rhs in
                lhs.key == rhs.key
                    ? lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
                    : lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
            }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }

    private func scope(_ timestamp: AmzTimestamp) -> String {
        "\(timestamp.day)/\(region)/\(service)/aws4_request"
    }

    private func hmac(_ key: SymmetricKey, _ message: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key))
    }
}

/// One derived signing key and the day it is for, shared by the copies of a signer.
private final class SigningKeyOfTheDay: Sendable {
    private let entry = Mutex<(day: String, key: SymmetricKey)?>(nil)

    func key(for day: String) -> SymmetricKey? {
        entry.withLock { $0?.day == day ? $0?.key : nil }
    }

    func remember(_ key: SymmetricKey, for day: String) {
        entry.withLock { $0 = (day, key) }
    }
}
