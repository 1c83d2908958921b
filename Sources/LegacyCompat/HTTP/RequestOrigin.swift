import Foundation
import HTTPTypes
import Hummingbird

/// The origin a request was addressed to, as the browser saw it: the `Host` header, and the scheme
/// a TLS-terminating proxy reports in `X-Forwarded-Proto` (plain `http` otherwise).
enum RequestOrigin {
    static let forwardedProto = HTTPField.Name("X-Forwarded-Proto")

    static func scheme(of request: Request) -> String {
        if let name = forwardedProto, let value = request.headers[name] {
            let first = value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if first == "https" { return "https" }
        }
        return request.head.scheme == "https" ? "https" : "http"
    }

    static func host(of request: Request) -> String? {
        request.head.authority
    }

    /// `scheme://host[:port]`, or nil without a Host header.
    static func ownOrigin(of request: Request) -> String? {
        host(of: request).map { "\(scheme(of: request))://\($0)" }
    }
}
