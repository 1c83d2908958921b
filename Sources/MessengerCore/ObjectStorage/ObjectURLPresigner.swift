import Foundation

/// Presigned GET URLs for objects in S3-compatible storage, built the way api_cpp built them so
/// existing proxies keep working (jwt-api.md §1.9, legacy-api.md §11.1): path-style, signed for the
/// internal `host:port`, then re-based onto `MINIO_PUBLIC_URL`. The rewrite leaves the signature
/// bound to the internal host on purpose; the proxy forwards with `Host: <internal host:port>`.
public struct ObjectURLPresigner: Sendable {
    private let signer: SigV4Signer
    private let scheme: String
    private let host: String
    private let publicURL: String?
    private let lifetimeSeconds: Int

    public init(store: ObjectStoreSettings, buckets: BucketSettings) {
        signer = SigV4Signer(accessKey: store.accessKey, secretKey: store.secretKey, region: store.region)
        if let separator = store.endpoint.range(of: "://") {
            scheme = String(store.endpoint[..<separator.lowerBound]).lowercased()
        } else {
            scheme = "http"
        }
        host = store.hostAndPort
        lifetimeSeconds = buckets.presignTTLSeconds
        var base = buckets.publicURL ?? ""
        while base.hasSuffix("/") { base.removeLast() }
        publicURL = base.isEmpty ? nil : base
    }

    /// - Parameter disposition: ``ContentDisposition/forUserUpload(filename:mimeType:)`` for user
    ///   uploads; nil only for sticker images, which are trusted seed data.
    public func url(bucket: String, key: String, disposition: ContentDisposition?, now: Date) -> String {
        let signed = signer.presignedURL(
            scheme: scheme, host: host, path: "/\(bucket)/\(key)",
            extraQuery: disposition?.queryParameters ?? [], expires: lifetimeSeconds, date: now)
        let internalOrigin = "\(scheme)://\(host)"
        guard let publicURL, signed.hasPrefix(internalOrigin) else { return signed }
        return publicURL + signed.dropFirst(internalOrigin.count)
    }
}
