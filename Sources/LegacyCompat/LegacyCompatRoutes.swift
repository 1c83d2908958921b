import Hummingbird
import MessengerCore

/// Every route of the legacy application (legacy-api.md §3–§5) on the gateway's router: the JSON
/// API under `/api/` and `/web-api/`, the pages and deep links, and the SPA's static files. Thin
/// adapters over MessengerCore, behind one middleware for sessions, CSRF and the error style.
public enum LegacyCompatRoutes {
    public static func register<Context: LegacyRequestContext>(
        on router: Router<Context>, core: CoreServices, settings: LegacySettings
    ) {
        let sessions = LegacySessionAuthority(secret: settings.sessionSecret, store: LegacySessionStore(core: core))
        let group = router.group().add(middleware: LegacyEdgeMiddleware<Context>(
            sessions: sessions, crossSite: CrossSiteRequestPolicy(allowedOrigins: settings.allowedOrigins)))
        let table = LegacyRouteTable(group: group)
        AccountRoutes(core: core, sessions: sessions).add(to: table)
        UserRoutes(core: core).add(to: table)
        ChatRoutes(core: core).add(to: table)
        MessageRoutes(core: core).add(to: table)
        SettingsRoutes(core: core).add(to: table)
        StickerRoutes(core: core).add(to: table)
        UploadRoutes(core: core).add(to: table)
        PageRoutes(files: StaticDirectory(path: settings.staticDirectory), cppAPIURL: settings.cppAPIURL, logger: core.logger)
            .add(to: table)
        table.addOptionsRoutes()
    }

    /// Whether a path belongs to the legacy application, whose responses carry no CORS headers.
    public static func owns(path: String) -> Bool {
        if path.hasPrefix("/api/") || path.hasPrefix("/web-api/") || path.hasPrefix("/static/") || path.hasPrefix("/uploads/") {
            return true
        }
        if path.hasPrefix("/@") { return true }
        for prefix in ["/u/", "/dm/", "/join/", "/c/"] where path.hasPrefix(prefix) { return true }
        return ["/", "/login", "/register", "/app"].contains(path)
    }
}
