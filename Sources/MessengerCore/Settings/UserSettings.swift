/// A user's client preferences (jwt-api.md §3.8, legacy-api.md §5.15–§5.16).
public struct UserSettings: Sendable, Equatable {
    public var theme: String
    public var notificationsEnabled: Bool
    /// Any text: the legacy API stored whatever scalar it was sent; the JWT API only writes
    /// ``supportedLanguages``.
    public var language: String

    public init(theme: String, notificationsEnabled: Bool, language: String) {
        self.theme = theme
        self.notificationsEnabled = notificationsEnabled
        self.language = language
    }

    /// What a user without a stored row has, and what an omitted field resets to.
    public static let defaults = UserSettings(theme: "light", notificationsEnabled: true, language: "en")

    public static let supportedThemes: Set<String> = ["light", "dark"]
    public static let supportedLanguages: Set<String> = ["en", "ru", "de"]

    /// Both APIs' theme rule: anything but exactly `light` or `dark` (including a missing or
    /// non-string value, passed as nil) silently becomes `light`.
    public static func theme(from value: String?) -> String {
        value.flatMap { supportedThemes.contains($0) ? $0 : nil } ?? defaults.theme
    }

    /// The JWT API's language rule: anything but exactly `en`, `ru` or `de` silently becomes `en`.
    public static func language(from value: String?) -> String {
        value.flatMap { supportedLanguages.contains($0) ? $0 : nil } ?? defaults.language
    }
}
