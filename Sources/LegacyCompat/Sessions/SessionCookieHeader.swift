import Hummingbird

/// The `session` cookie's `Set-Cookie` headers: api_legacy's attributes (legacy-api.md §8.1) plus
/// `SameSite=Lax`, and `Secure` when the request reached the gateway over TLS.
enum SessionCookieHeader {
    static let name = "session"

    static func setting(_ value: String, secure: Bool) -> String {
        "\(name)=\(value); HttpOnly; Path=/; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    static func deletion(secure: Bool) -> String {
        "\(name)=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/; SameSite=Lax" + (secure ? "; Secure" : "")
    }

    /// TLS ends at a proxy in front of the gateway, which says so in `X-Forwarded-Proto`.
    static func isSecure(_ request: Request) -> Bool {
        RequestOrigin.scheme(of: request) == "https"
    }

    /// Whether the response already sets or deletes the session cookie.
    static func isSet(in response: Response) -> Bool {
        response.headers[values: .setCookie].contains { $0.hasPrefix("\(name)=") }
    }
}
