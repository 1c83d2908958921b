/// What a username may be changed to: `^[a-zA-Z0-9_]{3,20}$`, ASCII only (jwt-api.md §3.2.6).
/// Stricter than what registration and the legacy app accepted, so existing names can be outside
/// it; they stay valid until their owner renames.
public enum UsernameRule {
    public static func allowsRename(to username: String) -> Bool {
        let bytes = username.utf8
        return (3...20).contains(bytes.count) && bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }
}
