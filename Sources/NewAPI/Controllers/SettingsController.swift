import Hummingbird
import MessengerCore

/// The settings routes of jwt-api.md §3.8: reads create the row, writes replace it whole.
public struct SettingsController: Sendable {
    let store: SettingsStore
    let authenticator: RequestAuthenticator

    public init(core: CoreServices, authenticator: RequestAuthenticator) {
        store = SettingsStore(core: core)
        self.authenticator = authenticator
    }

    public func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.get("/settings") { request, _ in try await read(request) }
        router.put("/settings") { request, _ in try await replace(request) }
    }

    func read(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let settings = try await store.ensuredSettings(userID: identity.userID)
        return try JSONResponse.encode([
            "theme": .string(settings.theme),
            "notifications_enabled": .bool(settings.notificationsEnabled),
            "language": .string(settings.language),
        ] as JSONValue)
    }

    func replace(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let body = try await JSONRequestBody.requiredObject(of: request)
        try await store.replace(userID: identity.userID, with: try Self.settings(from: body))
        return Response(status: .noContent)
    }

    /// The reference's full-replacement rule (absent fields reset, unknown theme and language
    /// silently become the defaults, D-27), except that `notifications_enabled` must be a JSON
    /// boolean when present: the reference coerced numbers.
    static func settings(from body: [String: JSONValue]) throws -> UserSettings {
        let notificationsEnabled: Bool
        switch body["notifications_enabled"] {
        case nil: notificationsEnabled = UserSettings.defaults.notificationsEnabled
        case .bool(let value)?: notificationsEnabled = value
        default: throw APIError.invalidJSON
        }
        return UserSettings(
            theme: UserSettings.theme(from: body["theme"]?.stringValue),
            notificationsEnabled: notificationsEnabled,
            language: UserSettings.language(from: body["language"]?.stringValue))
    }
}
