import Hummingbird
import MessengerCore

/// Registers the user, settings and sticker controllers together: one entry in ``NewAPIRoutes``.
enum UsersSettingsStickersRoutes {
    static func add<Context: NewAPIRequestContext>(
        to router: Router<Context>, core: CoreServices, authenticator: RequestAuthenticator
    ) {
        UserController(core: core, authenticator: authenticator).addRoutes(to: router)
        SettingsController(core: core, authenticator: authenticator).addRoutes(to: router)
        StickerController(core: core, authenticator: authenticator).addRoutes(to: router)
    }
}
