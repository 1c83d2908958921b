import Hummingbird
import MessengerCore

/// §5.15/§5.16 settings. Reads never create the row; writes replace all three columns.
struct SettingsRoutes: Sendable {
    let store: SettingsStore

    init(core: CoreServices) {
        self.store = SettingsStore(core: core)
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.get, "/settings") { _, context in try await read(context) }
        table.api(.put, "/settings") { request, context in try await replace(request, context) }
    }

    static let invalidSettings = LegacyError(.badRequest, "Invalid settings")

    func read(_ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let settings = try await store.storedSettings(userID: session.userID) ?? .defaults
        return LegacyJSONResponse.make(LegacyObjects.settings(settings))
    }

    /// `theme`: exactly `light` or `dark`, else `light`; `notifications_enabled`: truthiness;
    /// `language`: any scalar's string form, echoed raw. A `null`, array or object language (500 in
    /// api_legacy) and a body that is not JSON are refused.
    func replace(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        guard case .object(let body) = try await LegacyJSONBody.read(request) else { throw Self.invalidSettings }
        let theme = UserSettings.theme(from: body["theme"]?.stringValue)
        let notifications = body["notifications_enabled"].map { LegacyValue.isTruthy($0) } ?? true
        let languageValue = body["language"] ?? .string(UserSettings.defaults.language)
        guard !languageValue.isNull, let language = LegacyValue.stringForm(languageValue), !language.unicodeScalars.contains("\0") else {
            throw Self.invalidSettings
        }
        try await store.replace(
            userID: session.userID, with: UserSettings(theme: theme, notificationsEnabled: notifications, language: language))
        return LegacyJSONResponse.make([
            "theme": .string(theme), "notifications_enabled": .bool(notifications), "language": languageValue,
        ])
    }
}
