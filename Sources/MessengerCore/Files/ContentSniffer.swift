/// What a file is, decided from its first bytes rather than from what the uploader claimed
/// (jwt-api.md §3.5.1, D-3). Only formats the upload allow-lists name are recognised; text that a
/// browser would render as a document (HTML, SVG, XML) is reported as such so it can be refused.
public enum ContentSniffer {
    /// How many leading bytes ``sniff(_:)`` looks at; callers buffer this much before deciding.
    public static let prefixLength = 1024

    public enum Verdict: Sendable, Equatable {
        /// A recognised binary format, as its MIME type.
        case format(String)
        /// Text a browser may render or run (HTML, XML, SVG).
        case activeText
        /// UTF-8 text with no markup at its start.
        case plainText
        /// Bytes of no recognised format.
        case unknownBinary
    }

    public static func sniff(_ prefix: some Collection<UInt8>) -> Verdict {
        let bytes = Array(prefix.prefix(prefixLength))
        if let format = binaryFormat(bytes) { return .format(format) }
        if isText(bytes) { return startsWithMarkup(bytes) ? .activeText : .plainText }
        return .unknownBinary
    }

    // MARK: - Binary signatures

    private static func binaryFormat(_ b: [UInt8]) -> String? {
        func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            b.count >= offset + signature.count && Array(b[offset..<offset + signature.count]) == signature
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }

        if starts([0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if ascii("GIF87a") || ascii("GIF89a") { return "image/gif" }
        if ascii("RIFF") && ascii("WEBP", at: 8) { return "image/webp" }
        if ascii("RIFF") && ascii("WAVE", at: 8) { return "audio/wav" }
        if ascii("ftyp", at: 4) { return isoMediaType(brand: b.count >= 12 ? String(decoding: b[8..<12], as: UTF8.self) : "") }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) {
            // EBML: WebM declares its DocType "webm" near the start; other Matroska is not allowed.
            return b.count > 4 && containsASCII(b, "webm") ? "video/webm" : "video/x-matroska"
        }
        if ascii("OggS") { return "audio/ogg" }
        if ascii("ID3") { return "audio/mpeg" }
        if b.count >= 2, b[0] == 0xFF, b[1] & 0xE0 == 0xE0 {
            // MPEG audio frame sync; layer bits 00 mark an AAC ADTS stream instead.
            return b[1] & 0x06 == 0 ? "audio/aac" : "audio/mpeg"
        }
        if ascii("%PDF-") { return "application/pdf" }
        if starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06]) { return "application/zip" }
        return nil
    }

    /// ISO base media files (`ftyp` box): HEIF images, M4A audio, QuickTime or MP4 video.
    private static func isoMediaType(brand: String) -> String {
        switch brand {
        case "heic", "heix", "heim", "heis", "hevc", "hevx": "image/heic"
        case "mif1", "msf1", "avif": brand == "avif" ? "image/avif" : "image/heif"
        case "M4A ", "M4B ": "audio/mp4"
        case "qt  ": "video/quicktime"
        default: "video/mp4"
        }
    }

    private static func containsASCII(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { Array(bytes[$0..<$0 + needle.count]) == needle }
    }

    // MARK: - Text

    /// UTF-8 without NUL or control bytes other than tab, line feed, form feed, carriage return and
    /// escape. A multi-byte character cut off by the end of the prefix still counts as text.
    private static func isText(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return false }
        if bytes.contains(where: { $0 < 0x20 && ![0x09, 0x0A, 0x0C, 0x0D, 0x1B].contains($0) || $0 == 0x7F }) { return false }
        var trimmed = bytes[...]
        // Drop an incomplete trailing sequence (at most 3 bytes).
        for _ in 0..<3 where String(validating: trimmed, as: UTF8.self) == nil && !trimmed.isEmpty {
            trimmed = trimmed.dropLast()
        }
        return !trimmed.isEmpty && String(validating: trimmed, as: UTF8.self) != nil
    }

    /// The tags with which browsers sniff HTML (WHATWG MIME Sniffing §7.1), plus XML and SVG,
    /// after a byte-order mark and leading white space.
    private static let markupOpenings: [String] = [
        "<!doctype html", "<html", "<head", "<script", "<iframe", "<h1", "<div", "<font", "<table", "<a", "<style",
        "<title", "<b", "<body", "<br", "<p", "<!--", "<?xml", "<svg", "<xsl", "<object", "<embed", "<meta", "<link",
        "<img", "<form", "<base", "<math",
    ]

    private static func startsWithMarkup(_ bytes: [UInt8]) -> Bool {
        var rest = bytes[...]
        if rest.starts(with: [0xEF, 0xBB, 0xBF]) { rest = rest.dropFirst(3) }
        rest = rest.drop { [0x09, 0x0A, 0x0C, 0x0D, 0x20].contains($0) }
        let lowered = rest.prefix(32).map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }
        return markupOpenings.contains { opening in
            let tag = Array(opening.utf8)
            guard lowered.count >= tag.count, Array(lowered[0..<tag.count]) == tag else { return false }
            // "<a" must be a whole tag name: followed by space or ">" (or the end of the prefix).
            guard opening != "<!--", lowered.count > tag.count else { return true }
            let next = lowered[tag.count]
            return [0x20, 0x3E, 0x09, 0x0A, 0x0D, 0x0C, 0x2F].contains(next)
        }
    }
}
