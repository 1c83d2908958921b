/// The URI encoding S3's SigV4 canonicalisation demands. Foundation's percent-encoding keeps
/// sub-delimiters such as `$`, `;` or `=` and so yields a different canonical request; S3 keeps only
/// the RFC 3986 unreserved characters and writes everything else as `%XX` in upper-case hex, byte
/// by byte of the UTF-8 form.
enum S3URIEncoding {
    private static let upperHex = Array("0123456789ABCDEF".utf8)

    /// An object path: `/` stays as is because S3 compares paths segment by segment, undecoded.
    static func path(_ value: String) -> String {
        encode(value, keepingSlash: true)
    }

    /// A query key or value: `/` is encoded too, as in `X-Amz-Credential`'s `%2F`.
    static func queryComponent(_ value: String) -> String {
        encode(value, keepingSlash: false)
    }

    private static func encode(_ value: String, keepingSlash: Bool) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            if isUnreserved(byte) || (keepingSlash && byte == UInt8(ascii: "/")) {
                encoded.append(byte)
            } else {
                encoded.append(UInt8(ascii: "%"))
                encoded.append(upperHex[Int(byte >> 4)])
                encoded.append(upperHex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: encoded, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}
