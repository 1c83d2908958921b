import HTTPTypes
import Hummingbird

/// Runs around every legacy route: refuses cross-site state changes, resolves the session cookie
/// into `context.legacySession`, sends the upgraded cookie of a pre-switch session, marks
/// session-dependent responses `Vary: Cookie`, and writes legacy errors in the legacy style.
struct LegacyEdgeMiddleware<Context: LegacyRequestContext>: RouterMiddleware {
    let sessions: LegacySessionAuthority
    let crossSite: CrossSiteRequestPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        do {
            try crossSite.check(request)
            let readsSession = Self.readsSession(request.uri.path)
            if readsSession, let cookie = request.cookies[SessionCookieHeader.name] {
                context.legacySession = try await sessions.session(fromCookie: cookie.value)
            }
            var response = try await next(request, context)
            if readsSession {
                if !response.headers[values: .vary].contains(where: { $0.lowercased().contains("cookie") }) {
                    response.headers.append(HTTPField(name: .vary, value: "Cookie"))
                }
                if let upgraded = context.legacySession?.upgradedCookie, !SessionCookieHeader.isSet(in: response) {
                    response.headers.append(HTTPField(
                        name: .setCookie, value: SessionCookieHeader.setting(upgraded, secure: SessionCookieHeader.isSecure(request))))
                }
            }
            return response
        } catch let error as LegacyError {
            return error.response()
        }
    }

    /// Static assets never read the session (§0 "Vary: Cookie").
    static func readsSession(_ path: String) -> Bool {
        !path.hasPrefix("/static/")
    }
}
