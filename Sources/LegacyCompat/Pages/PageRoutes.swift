import Hummingbird
import Logging

/// The page routes and deep links of legacy-api.md §3, and `/static/*` (§4).
struct PageRoutes: Sendable {
    let files: StaticDirectory
    let cppAPIURL: String?
    let logger: Logger

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.page("/") { _, context in
            LegacyHTML.redirect(to: context.legacySession == nil ? "/login" : "/app")
        }
        table.page("/login") { request, context in try entryPage("login.html", request, context) }
        table.page("/register") { request, context in try entryPage("register.html", request, context) }
        table.page("/app") { request, context in
            guard context.legacySession != nil else { return LegacyHTML.redirect(to: "/login") }
            return try appPage(deepLink: nil, request)
        }
        table.page("/@{username}") { request, context in
            try appPage(deepLink: "profile:" + segment(context, "username"), request)
        }
        table.page("/u/:id") { request, context in
            try appPage(deepLink: "profile-id:" + integerText(segment(context, "id")), request)
        }
        table.page("/dm/:target") { request, context in
            let target = try segment(context, "target")
            let deepLink: String
            if target.hasPrefix("@") {
                let username = String(target.dropFirst())
                guard !username.isEmpty else { throw LegacyError.notFoundPage }
                deepLink = "dm:@" + username
            } else {
                deepLink = "dm:" + (try integerText(target))
            }
            guard context.legacySession != nil else { return LegacyHTML.redirect(to: loginLocation(request)) }
            return try appPage(deepLink: deepLink, request)
        }
        table.page("/join/:token") { request, context in
            try appPage(deepLink: "join:" + segment(context, "token"), request)
        }
        table.page("/c/:name") { request, context in
            try appPage(deepLink: "channel:" + segment(context, "name"), request)
        }
        table.page("/static/**") { request, context in
            let relative = context.parameters.getCatchAll().joined(separator: "/")
            guard let file = files.file(atEncodedPath: relative) else { throw LegacyError.notFoundPage }
            return files.response(for: file, to: request)
        }
    }

    /// Login and register: the SPA's page, or straight to the app when already signed in.
    func entryPage(_ name: String, _ request: Request, _ context: some LegacyRequestContext) throws -> Response {
        guard context.legacySession == nil else { return LegacyHTML.redirect(to: "/app") }
        guard let file = files.file(relative: name) else { throw missingPage(name) }
        return html(String(buffer: file.bytes))
    }

    func appPage(deepLink: String?, _ request: Request) throws -> Response {
        guard let file = files.file(relative: "app.html") else { throw missingPage("app.html") }
        var attributes: [(name: String, value: String)] = [("data-theme", "light")]
        if let deepLink { attributes.append(("data-deeplink", deepLink)) }
        if let api = cppAPIURL ?? RequestOrigin.ownOrigin(of: request), !api.isEmpty {
            attributes.append(("data-cpp-api", api))
        }
        return html(AppPageTemplate.render(String(buffer: file.bytes), attributes: attributes))
    }

    func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    func missingPage(_ name: String) -> LegacyError {
        logger.error("SPA page missing from STATIC_DIR", metadata: ["file": "\(name)", "static_dir": "\(files.root.path)"])
        return LegacyError.notFoundPage
    }

    func loginLocation(_ request: Request) -> String {
        let host = RequestOrigin.host(of: request) ?? "localhost"
        return LoginRedirect.location(host: host, rawPath: request.uri.path, rawQuery: request.uri.query)
    }

    /// One non-empty, percent-decoded path segment; an encoded `/` would have made it two (404).
    func segment(_ context: some RequestContext, _ name: String) throws -> String {
        guard let raw = context.parameters.get(name), !raw.isEmpty else { throw LegacyError.notFoundPage }
        let decoded = LoginRedirect.decodedSegment(raw)
        guard !decoded.isEmpty, !decoded.contains("/") else { throw LegacyError.notFoundPage }
        return decoded
    }

    /// ASCII digits of any length, as the integer they spell (leading zeros dropped, never cut).
    func integerText(_ text: String) throws -> String {
        guard PythonText.isDigitString(text) else { throw LegacyError.notFoundPage }
        let trimmed = text.drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }
}
