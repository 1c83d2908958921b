/// The `next` parameter of the `/dm/...` redirects to the login page (legacy-api.md §3.2): the
/// request's absolute URL as api_legacy saw it (always `http`, the Host header, the raw path and
/// query), in IRI form, then form-urlencoded as a query value.
enum LoginRedirect {
    static func location(host: String, rawPath: String, rawQuery: String?) -> String {
        var url = "http://\(host)\(rawPath)"
        if let rawQuery, !rawQuery.isEmpty { url += "?\(rawQuery)" }
        return "/login?next=" + formEncoded(iriForm(url))
    }

    /// Percent-escapes of non-ASCII UTF-8 sequences become their characters; escapes of ASCII
    /// bytes (and invalid sequences) stay as written.
    static func iriForm(_ url: String) -> String {
        let bytes = Array(url.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "%"), let first = escapedByte(bytes, at: index), first >= 0x80 else {
                output.append(bytes[index])
                index += 1
                continue
            }
            // Collect the run of non-ASCII escapes and keep it decoded only if it is valid UTF-8.
            var run: [UInt8] = []
            var end = index
            while end < bytes.count, bytes[end] == UInt8(ascii: "%"), let byte = escapedByte(bytes, at: end), byte >= 0x80 {
                run.append(byte)
                end += 3
            }
            if String(decoding: run, as: UTF8.self).utf8.elementsEqual(run) {
                output.append(contentsOf: run)
            } else {
                output.append(contentsOf: bytes[index..<end])
            }
            index = end
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func escapedByte(_ bytes: [UInt8], at index: Int) -> UInt8? {
        guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
        return high << 4 | low
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static let unescaped = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*,/:;?@".utf8)
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Werkzeug's query-value encoding: the safe set literal, every other UTF-8 byte escaped.
    static func formEncoded(_ text: String) -> String {
        var output: [UInt8] = []
        for byte in text.utf8 {
            if unescaped.contains(byte) {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "%"))
                output.append(hexDigits[Int(byte >> 4)])
                output.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A path segment percent-decoded as UTF-8 (invalid sequences replaced), as Werkzeug routed it.
    static func decodedSegment(_ segment: String) -> String {
        let bytes = Array(segment.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), let byte = escapedByte(bytes, at: index) {
                output.append(byte)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
