import Foundation
import Hummingbird
import MessengerCore
import NewAPI

/// GET /blobs/<bucket>/<key>?expires=…&signature=…[&disposition=…]: the local-disk store's
/// objects, served by the gateway through the expiring HMAC URLs of ``LocalBlobURLSigner``, for
/// installs without S3.
///
/// The signature and expiry are checked before the disk is touched, and the path is built only
/// by ``LocalBlobStore/location(bucket:key:)`` (``BlobKey`` segments: no `.`, `..`, `%`, `\`), so
/// no request can name a file outside `BLOB_DIR/<bucket>/`. Every refusal is the same 404.
struct LocalBlobController<Context: RequestContext> {
    let signer: LocalBlobURLSigner
    let store: LocalBlobStore
    let files: FileService
    let fileIO = FileIO()

    func addRoutes(to router: Router<Context>) {
        router.get("/blobs/:bucket/**") { request, context in try await serve(request, context) }
    }

    func serve(_ request: Request, _ context: Context) async throws -> Response {
        guard let bucket = context.parameters.get("bucket") else { throw APIError.notFound }
        let key = context.parameters.getCatchAll().joined(separator: "/")
        let query = request.uri.queryParameters
        guard let expires = query["expires"].flatMap({ Int($0) }), let signature = query["signature"].map(String.init) else {
            throw APIError.notFound
        }
        let disposition = query["disposition"].map(String.init)
        guard signer.verify(bucket: bucket, key: key, expires: expires, disposition: disposition, signature: signature, now: Date())
        else { throw APIError.notFound }
        let path = try store.location(bucket: bucket, key: key).path
        guard let size = Self.regularFileSize(path) else { throw APIError.notFound }

        let stored = try await files.file(bucket: bucket, objectKey: key)
        var headers: HTTPFields = [
            .contentType: Self.contentType(stored: stored?.mimeType, attachment: disposition != nil),
            .cacheControl: "private, no-store",
            .acceptRanges: "bytes",
            // Served from the app's own origin: never sniffed, never able to run script.
            .xContentTypeOptions: "nosniff",
            .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ]
        if let disposition { headers[.contentDisposition] = disposition }

        guard size > 0 else {
            headers[.contentLength] = "0"
            return Response(status: .ok, headers: headers)
        }
        if let rangeHeader = request.headers[.range] {
            guard let range = Self.byteRange(rangeHeader, size: size) else {
                headers[.contentRange] = "bytes */\(size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            }
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            let body = try await fileIO.loadFile(path: path, range: range, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
        headers[.contentLength] = String(size)
        return Response(status: .ok, headers: headers, body: try await fileIO.loadFile(path: path, context: context))
    }

    /// The stored type, except that a download (signed with a disposition) of an active type is
    /// sent as opaque bytes, like the S3 URLs' `response-content-type` (D-3).
    static func contentType(stored: String?, attachment: Bool) -> String {
        guard let stored, !stored.isEmpty else { return "application/octet-stream" }
        if attachment && UploadTypePolicy.isActive(ContentDisposition.normalisedType(stored)) {
            return "application/octet-stream"
        }
        return stored
    }

    static func regularFileSize(_ path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular
        else { return nil }
        return attributes[.size] as? Int
    }

    /// One `bytes=` range (`a-b`, `a-`, `-n`), clamped to the file; nil when unsatisfiable or not
    /// a single range.
    static func byteRange(_ header: String, size: Int) -> ClosedRange<Int>? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash], last = spec[spec.index(after: dash)...]
        if first.isEmpty {
            guard let suffix = Int(last), suffix > 0 else { return nil }
            return max(0, size - suffix)...(size - 1)
        }
        guard let start = Int(first), start >= 0, start < size else { return nil }
        if last.isEmpty { return start...(size - 1) }
        guard let end = Int(last), end >= start else { return nil }
        return start...min(end, size - 1)
    }
}
