import Foundation
import Hummingbird

/// A file answered the way api_legacy's `send_file` answered (legacy-api.md §4): content type by
/// extension, `Cache-Control: no-cache`, `ETag` and `Last-Modified` with 304 for a matching
/// conditional request, and single byte ranges with 206 (audio players seek with them).
struct FileResponse {
    let bytes: ByteBuffer
    let filename: String
    let contentType: String
    let lastModified: Date
    let etag: String

    init(bytes: ByteBuffer, filename: String, lastModified: Date, etag: String) {
        self.bytes = bytes
        self.filename = filename
        self.contentType = Self.contentType(forFilename: filename)
        self.lastModified = lastModified
        self.etag = etag
    }

    func response(to request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: contentType,
            .cacheControl: "no-cache",
            .eTag: etag,
            .lastModified: HTTPDate.format(lastModified),
            .contentDisposition: "inline; filename=\(Self.dispositionName(filename))",
            .acceptRanges: "bytes",
        ]
        if isNotModified(request) {
            headers[.contentType] = nil
            headers[.contentDisposition] = nil
            return Response(status: .notModified, headers: headers)
        }
        let size = bytes.readableBytes
        if let rangeHeader = request.headers[.range], let range = Self.byteRange(rangeHeader, size: size) {
            guard let range else {
                headers[.contentRange] = "bytes */\(size)"
                return Response(status: .rangeNotSatisfiable, headers: headers)
            }
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
            let slice = bytes.getSlice(at: bytes.readerIndex + range.lowerBound, length: range.count) ?? ByteBuffer()
            return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: slice))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
    }

    /// `If-None-Match` decides when present; otherwise `If-Modified-Since` (whole seconds).
    func isNotModified(_ request: Request) -> Bool {
        if let candidates = request.headers[.ifNoneMatch] {
            return candidates.split(separator: ",").contains { candidate in
                var tag = candidate.trimmingCharacters(in: .whitespaces)
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag.removeFirst(2) }
                return tag == etag
            }
        }
        if let since = request.headers[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        return false
    }

    /// nil: no usable single range (serve the whole file); `.some(nil)`: unsatisfiable.
    static func byteRange(_ header: String, size: Int) -> Range<Int>?? {
        guard header.hasPrefix("bytes="), !header.contains(",") else { return nil }
        let spec = header.dropFirst("bytes=".count).trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let startText = spec[..<dash]
        let endText = spec[spec.index(after: dash)...]
        if startText.isEmpty {
            guard let suffix = Int(endText), suffix >= 0 else { return nil }
            guard suffix > 0, size > 0 else { return .some(nil) }
            return .some(max(0, size - suffix)..<size)
        }
        guard let start = Int(startText), start >= 0 else { return nil }
        var end = size - 1
        if !endText.isEmpty {
            guard let last = Int(endText), last >= start else { return nil }
            end = min(last, size - 1)
        }
        guard start < size else { return .some(nil) }
        return .some(start..<(end + 1))
    }

    static func contentType(forFilename name: String) -> String {
        let ext = name.split(separator: ".").count > 1 ? (name.split(separator: ".").last.map { $0.lowercased() } ?? "") : ""
        switch ext {
        case "js", "mjs": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "html", "htm": return "text/html; charset=utf-8"
        case "json": return "application/json"
        case "txt": return "text/plain; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "webp": return "image/webp"
        case "ico": return "image/vnd.microsoft.icon"
        case "woff": return "font/woff"
        case "woff2": return "font/woff2"
        case "ogg": return "audio/ogg"
        case "webm": return "video/webm"
        case "mp3": return "audio/mpeg"
        case "wav": return "audio/x-wav"
        case "m4a": return "audio/mp4"
        default: return "application/octet-stream"
        }
    }

    /// Werkzeug writes plain names bare and quotes the rest; names here come from the file system
    /// or a stored object key, so quoting with `"` and `\` escaped suffices.
    static func dispositionName(_ name: String) -> String {
        let plain = name.utf8.allSatisfy { byte in
            (0x21...0x7E).contains(byte) && ![UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: ";"), UInt8(ascii: ",")].contains(byte)
        }
        if plain { return name }
        let ascii = String(String.UnicodeScalarView(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? $0 : "_" }))
        return "\"" + ascii.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// HTTP dates (RFC 7231 IMF-fixdate).
enum HTTPDate {
    static func format(_ date: Date) -> String {
        formatter().string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        formatter().date(from: text)
    }

    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }
}
