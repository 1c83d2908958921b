import Foundation

/// How a URL to a user upload makes the browser treat the object, so an uploaded HTML or SVG file
/// opened from the app's own origin cannot run script there (jwt-api.md §3.5.2, D-3).
///
/// The store answers with these values instead of the object's stored headers because the stored
/// `Content-Type` is whatever the uploader claimed (the reference never validated it).
public struct ContentDisposition: Sendable, Equatable {
    public enum Mode: String, Sendable {
        case inline, attachment
    }

    public let mode: Mode
    /// The `Content-Disposition` the store must answer with; nil keeps the stored one (inline media).
    public let headerValue: String?
    /// The `Content-Type` the store must answer with; set for active content only.
    public let contentTypeOverride: String?

    /// The S3 `response-*` presign parameters that make the store send the two overrides.
    public var queryParameters: [(String, String)] {
        var parameters: [(String, String)] = []
        if let headerValue { parameters.append(("response-content-disposition", headerValue)) }
        if let contentTypeOverride { parameters.append(("response-content-type", contentTypeOverride)) }
        return parameters
    }

    /// Only images browsers decode as pictures (not SVG, which is a document), audio and video
    /// stay inline; everything else downloads. Active types are also relabelled as opaque bytes so
    /// that even a context ignoring the disposition (an `<object>`, a proxy stripping the header)
    /// cannot render them.
    ///
    /// - Parameters:
    ///   - filename: the original display name; sanitised for `filename=`, kept for `filename*=`.
    ///   - mimeType: the stored type, parameters and case tolerated (`text/plain; charset=utf-8`).
    public static func forUserUpload(filename: String, mimeType: String) -> ContentDisposition {
        let type = normalisedType(mimeType)
        if isInlineMedia(type) {
            return ContentDisposition(mode: .inline, headerValue: nil, contentTypeOverride: nil)
        }
        return ContentDisposition(
            mode: .attachment, headerValue: attachmentHeader(filename: filename),
            contentTypeOverride: isActiveContent(type) ? "application/octet-stream" : nil)
    }

    /// `attachment; filename="<sanitised>"`, plus `filename*=UTF-8''…` (RFC 5987/6266) when the
    /// sanitised form lost something, so browsers that read it show the real name.
    static func attachmentHeader(filename: String) -> String {
        let fallback = UploadFilename.sanitised(filename)
        var header = "attachment; filename=\"\(fallback)\""
        let display = String(UploadFilename.lastPathComponent(UploadFilename.displayName(filename)))
            .unicodeScalars.filter { $0.properties.generalCategory != .format }
        let displayName = String(String.UnicodeScalarView(display))
        if !displayName.isEmpty, displayName != fallback {
            header += "; filename*=UTF-8''" + rfc5987Encode(displayName)
        }
        return header
    }

    public static func normalisedType(_ mimeType: String) -> String {
        let essence = mimeType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return essence.trimmingCharacters(in: .whitespaces).lowercased()
    }

    private static let inlineImageTypes: Set<String> = [
        "image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif",
    ]

    private static func isInlineMedia(_ type: String) -> Bool {
        inlineImageTypes.contains(type) || type.hasPrefix("audio/") || type.hasPrefix("video/")
    }

    private static let activeTypes: Set<String> = [
        "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
        "text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
        "text/ecmascript", "text/xsl", "application/x-shockwave-flash",
    ]

    /// Types a browser may execute or render as a document. An empty or malformed type counts too:
    /// the stored header is then unknown and browsers sniff.
    private static func isActiveContent(_ type: String) -> Bool {
        let parts = type.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return true }
        return activeTypes.contains(type) || type.hasSuffix("+xml") || type.hasPrefix("multipart/")
            || type.contains("javascript") || type.contains("ecmascript")
    }

    /// RFC 5987 `attr-char` kept, every other UTF-8 byte as `%XX`.
    private static func rfc5987Encode(_ value: String) -> String {
        let kept = Set("!#$&+-.^_`|~".utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var encoded: [UInt8] = []
        for byte in value.utf8 {
            let isAlphanumeric =
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            if isAlphanumeric || kept.contains(byte) {
                encoded.append(byte)
            } else {
                encoded += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}
