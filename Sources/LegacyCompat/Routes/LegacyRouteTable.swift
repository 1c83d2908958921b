import Hummingbird
import Synchronization

/// Registers legacy routes on the legacy router group. API routes answer under both prefixes
/// (legacy-api.md §1): `/api/X` as api_legacy itself, `/web-api/X` as the browser reached it
/// through the old proxy, so the SPA works behind that proxy and without it.
struct LegacyRouteTable<Context: LegacyRequestContext> {
    typealias Handler = @Sendable (Request, Context) async throws -> Response

    let group: RouterGroup<Context>
    /// Methods per registered path, for the `Allow` header of OPTIONS (legacy-api.md §0).
    private let methods = MethodRegistry()

    init(group: RouterGroup<Context>) {
        self.group = group
    }

    static var apiPrefixes: [String] { ["/api", "/web-api"] }

    func api(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        for prefix in Self.apiPrefixes {
            route(method, prefix + path, handler)
        }
    }

    func page(_ path: String, _ handler: @escaping Handler) {
        route(.get, path, handler)
    }

    private func route(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        group.on(RouterPath(path), method: method, use: handler)
        methods.add(method, for: path)
    }

    /// OPTIONS on every registered path: 200 with `Allow`, as Flask answered (GET implies HEAD).
    func addOptionsRoutes() {
        for (path, registered) in methods.all() {
            var names = Set(registered.map(\.rawValue))
            if names.contains("GET") { names.insert("HEAD") }
            names.insert("OPTIONS")
            let allow = names.sorted().joined(separator: ", ")
            group.on(RouterPath(path), method: .options) { _, _ in
                Response(status: .ok, headers: [.allow: allow])
            }
        }
    }
}

private final class MethodRegistry: Sendable {
    private let methods = Mutex<[String: [HTTPRequest.Method]]>([:])

    func add(_ method: HTTPRequest.Method, for path: String) {
        methods.withLock { $0[path, default: []].append(method) }
    }

    func all() -> [String: [HTTPRequest.Method]] {
        methods.withLock { $0 }
    }
}

extension LegacyRequestContext {
    /// The request's session, or 401 `Unauthorised` (legacy-api.md §2).
    func requireSession() throws -> LegacySession {
        guard let session = legacySession else { throw LegacyError.unauthorised }
        return session
    }
}
