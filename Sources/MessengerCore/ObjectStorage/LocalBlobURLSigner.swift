import Crypto
import Foundation

/// Expiring URLs for the local-disk blob store, the stand-in for presigned S3 URLs when no object
/// store is configured: `/blobs/<bucket>/<key>?expires=<unix>&signature=<hex>[&disposition=…]`.
///
/// The signature is HMAC-SHA256 over `GET\n<bucket>/<key>\n<expires>\n<disposition or empty>`, so
/// neither the object, the lifetime nor the download disposition can be changed without the secret.
/// The bucket cannot contain `/` and the disposition comes last, so the fields cannot be shifted
/// into one another.
public struct LocalBlobURLSigner: Sendable {
    private let secret: SymmetricKey
    private let lifetimeSeconds: Int

    public init(secret: SymmetricKey, lifetimeSeconds: Int) {
        self.secret = secret
        self.lifetimeSeconds = lifetimeSeconds
    }

    /// A root-relative URL, or nil when the bucket or key would be refused by ``verify`` anyway
    /// (see ``BlobKey``).
    ///
    /// - Parameter disposition: its ``ContentDisposition/headerValue`` travels as `disposition`;
    ///   the serving route must send it as `Content-Disposition` (inline media carry none).
    public func url(bucket: String, key: String, disposition: ContentDisposition?, now: Date) -> String? {
        guard BlobKey.isSafeBucketName(bucket), BlobKey.isSafeObjectKey(key) else { return nil }
        let expires = Int(now.timeIntervalSince1970.rounded(.down)) + lifetimeSeconds
        let dispositionValue = disposition?.headerValue
        let signature = sign(bucket: bucket, key: key, expires: expires, disposition: dispositionValue)
        var url = "/blobs/\(bucket)/\(key)?expires=\(expires)&signature=\(signature)"
        if let dispositionValue {
            url += "&disposition=" + S3URIEncoding.queryComponent(dispositionValue)
        }
        return url
    }

    /// True only for a safe bucket and key, a lifetime not yet over (`now` ≤ `expires`) and a
    /// matching signature, compared in constant time.
    ///
    /// - Parameter disposition: the decoded `disposition` query value, nil when absent.
    public func verify(
        bucket: String, key: String, expires: Int, disposition: String?, signature: String, now: Date
    ) -> Bool {
        guard BlobKey.isSafeBucketName(bucket), BlobKey.isSafeObjectKey(key) else { return false }
        guard now.timeIntervalSince1970 <= Double(expires) else { return false }
        let expected = sign(bucket: bucket, key: key, expires: expires, disposition: disposition)
        return ConstantTime.equals(expected, signature)
    }

    private func sign(bucket: String, key: String, expires: Int, disposition: String?) -> String {
        let message = "GET\n\(bucket)/\(key)\n\(expires)\n\(disposition ?? "")"
        return LowercaseHex.encode(HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: secret))
    }
}
