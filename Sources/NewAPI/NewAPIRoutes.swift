import Hummingbird
import MessengerCore

/// Every route of the JWT API (jwt-api.md §2), registered on the gateway's router.
public enum NewAPIRoutes {
    public static func register<Context: NewAPIRequestContext>(on router: Router<Context>, core: CoreServices) {
        let authenticator = RequestAuthenticator(core: core)
        AuthController(core: core, authenticator: authenticator).addRoutes(to: router)
        MessageController(core: core, authenticator: authenticator).addRoutes(to: router)
        ChatController(core: core, authenticator: authenticator).addRoutes(to: router)
        InviteController(core: core, authenticator: authenticator).addRoutes(to: router)
        FileController(core: core, authenticator: authenticator).addRoutes(to: router)
        WebSocketController(core: core).addRoutes(to: router)
        UsersSettingsStickersRoutes.add(to: router, core: core, authenticator: authenticator)
    }
}
