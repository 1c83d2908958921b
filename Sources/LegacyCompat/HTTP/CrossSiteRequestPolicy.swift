import Foundation
import Hummingbird

/// CSRF protection for state changes (legacy-api.md §14.4): the browser names the page that made
/// a request in `Origin` (or, failing that, `Referer`). A request naming neither the gateway's own
/// origin nor one of `ALLOWED_ORIGINS` is refused; one naming nothing is allowed, since
/// non-browser clients send neither and browsers always send `Origin` on cross-site POSTs.
struct CrossSiteRequestPolicy: Sendable {
    let allowedOrigins: Set<String>

    init(allowedOrigins: [String]) {
        self.allowedOrigins = Set(allowedOrigins.map(Self.normalised))
    }

    static let refused = LegacyError(.forbidden, "Cross-site request refused")

    static func isStateChanging(_ method: HTTPRequest.Method) -> Bool {
        ![.get, .head, .options].contains(method)
    }

    func check(_ request: Request) throws {
        guard Self.isStateChanging(request.method) else { return }
        guard let claimed = Self.claimedOrigin(of: request) else { return }
        if allows(claimed, ownOrigin: RequestOrigin.ownOrigin(of: request)) { return }
        throw Self.refused
    }

    func allows(_ claimed: String, ownOrigin: String?) -> Bool {
        let origin = Self.normalised(claimed)
        if let ownOrigin, origin == Self.normalised(ownOrigin) { return true }
        return allowedOrigins.contains(origin)
    }

    /// `Origin` when present (`null` included: it names no trusted page), else the origin part of
    /// `Referer`, else nil.
    static func claimedOrigin(of request: Request) -> String? {
        if let origin = request.headers[.origin] { return origin }
        guard let referer = request.headers[.referer] else { return nil }
        return origin(ofURL: referer) ?? referer
    }

    /// `scheme://authority` of an absolute URL, or nil for anything else.
    static func origin(ofURL url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty else { return nil }
        return String(url[..<schemeEnd.upperBound]) + authority
    }

    /// Scheme and host compare case-insensitively; a trailing slash is not part of an origin.
    static func normalised(_ origin: String) -> String {
        var value = origin.trimmingCharacters(in: .whitespaces).lowercased()
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }
}
