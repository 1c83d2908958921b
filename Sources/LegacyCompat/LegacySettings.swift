/// What the legacy adapter needs from the gateway's configuration.
public struct LegacySettings: Sendable {
    /// api_legacy's Flask `SECRET_KEY`: signs and verifies session cookies.
    public var sessionSecret: String
    /// Origins besides the gateway's own that may make cookie-authenticated state changes.
    public var allowedOrigins: [String]
    /// The SPA's files (`login.html`, `register.html`, `app.html`, assets under `/static/`).
    public var staticDirectory: String
    /// `CPP_API_URL`, written into the app page's `data-cpp-api`; nil means the gateway's own
    /// origin, since the gateway serves the JWT API itself.
    public var cppAPIURL: String?

    public init(sessionSecret: String, allowedOrigins: [String], staticDirectory: String, cppAPIURL: String?) {
        self.sessionSecret = sessionSecret
        self.allowedOrigins = allowedOrigins
        self.staticDirectory = staticDirectory
        self.cppAPIURL = cppAPIURL
    }
}
