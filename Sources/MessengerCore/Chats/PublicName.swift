/// The rule for a chat's `public_name`, the handle of its public deep link (jwt-api.md §3.3.1):
/// 3 to 32 ASCII letters, digits or underscores.
public enum PublicName {
    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (3...32).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
    }
}
