/// Object keys and bucket names the local-disk blob store will map to files. Only plain relative
/// paths pass, so a key can never name a file outside its bucket directory, whatever the caller
/// or a tampered URL supplies.
public enum BlobKey {
    public static let maximumKeyLength = 512
    public static let maximumBucketLength = 63

    /// `[A-Za-z0-9._-]` segments joined by single `/`: no empty, `.` or `..` segment, no leading or
    /// trailing `/`, 1...512 bytes. Anything else (NUL, `\`, `%`, non-ASCII) is refused rather than
    /// interpreted.
    public static func isSafeObjectKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard (1...maximumKeyLength).contains(bytes.count) else { return false }
        return bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .allSatisfy(isSafeSegment)
    }

    /// A single segment under the same rule, at most 63 bytes like an S3 bucket name.
    public static func isSafeBucketName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return bytes.count <= maximumBucketLength && isSafeSegment(bytes[...])
    }

    private static func isSafeSegment(_ segment: ArraySlice<UInt8>) -> Bool {
        let isDotSegment = segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8)
        guard !segment.isEmpty, !isDotSegment else { return false }
        return segment.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
