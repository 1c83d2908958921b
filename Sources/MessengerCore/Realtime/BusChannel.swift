/// The Redis channel of a chat (jwt-api.md §5.6): `chat:<id>`.
public enum BusChannel {
    static let prefix = "chat:"

    public static func name(_ chatID: Int64) -> String {
        prefix + String(chatID)
    }

    /// The chat of a channel name; nil for any other channel.
    public static func chatID(_ name: String) -> Int64? {
        guard name.hasPrefix(prefix) else { return nil }
        return Int64(name.dropFirst(prefix.count))
    }
}
