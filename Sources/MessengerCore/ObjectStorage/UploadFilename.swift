/// The two forms of a user-supplied file name (jwt-api.md §3.5.1, D-3): a sanitised one that is
/// safe inside object keys and quoted header parameters, and a display name for people.
public enum UploadFilename {
    public static let maximumSanitisedLength = 100

    /// Last path component, every character outside `[A-Za-z0-9._-]` replaced by `_`, at most
    /// 100 characters, `file` when nothing is left. Safe to put between double quotes unescaped.
    public static func sanitised(_ original: String) -> String {
        let replaced = lastPathComponent(original).map { character -> Character in
            isKeySafe(character) ? character : "_"
        }
        let capped = String(replaced.prefix(maximumSanitisedLength))
        return capped.isEmpty ? "file" : capped
    }

    /// The name as the uploader wrote it, minus control characters (C0, DEL, C1).
    public static func displayName(_ original: String) -> String {
        String(String.UnicodeScalarView(original.unicodeScalars.filter { !isControl($0) }))
    }

    /// Both separators count: uploads from Windows browsers may carry `C:\fakepath\name`.
    static func lastPathComponent(_ name: String) -> Substring {
        name.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? ""
    }

    private static func isKeySafe(_ character: Character) -> Bool {
        guard character.isASCII, let ascii = character.asciiValue else { return false }
        switch ascii {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control
    }
}
