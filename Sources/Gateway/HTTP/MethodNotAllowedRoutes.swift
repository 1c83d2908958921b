import Hummingbird
import NewAPI

/// Hummingbird answers an unsupported method on a known path like an unknown path (404). The
/// contracts want 405 there, so every registered path gets handlers for the methods it lacks.
enum MethodNotAllowedRoutes {
    static let methods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head]

    static func add<Context: RequestContext>(to router: Router<Context>) {
        var methodsByPath: [String: Set<HTTPRequest.Method>] = [:]
        for route in router.routes {
            methodsByPath[route.path.description, default: []].insert(route.method)
        }
        for (path, registered) in methodsByPath {
            for method in methods where !registered.contains(method) {
                // GET routes answer HEAD already.
                if method == .head && registered.contains(.get) { continue }
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw APIError.methodNotAllowed
                }
            }
        }
    }
}
