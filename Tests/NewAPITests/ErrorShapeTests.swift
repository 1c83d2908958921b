import Foundation
import Hummingbird
import HummingbirdTesting
import NewAPI
import Testing

@Suite("JWT API error shape and CORS (in-process)")
struct ErrorShapeTests {
    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(CrossOriginMiddleware(appliesTo: { !$0.hasPrefix("/api/") }))
        router.get("/teapot") { _, _ -> Response in throw APIError(.badRequest, "Username must be 3–32 characters") }
        router.get("/api/legacy") { _, _ in "legacy" }
        return router
    }

    @Test("errors are {\"error\": message} with the contract's content type")
    func errorBody() async throws {
        try await Application(router: router()).test(.router) { client in
            try await client.execute(uri: "/teapot", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: String]
                #expect(body == ["error": "Username must be 3–32 characters"])
                #expect(response.headers[.accessControlAllowOrigin] == "*")
            }
        }
    }

    @Test("OPTIONS anywhere is 204 with CORS headers; legacy paths get none")
    func preflight() async throws {
        try await Application(router: router()).test(.router) { client in
            try await client.execute(uri: "/anything/at/all", method: .options) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowMethods] == "GET, POST, PUT, PATCH, DELETE, OPTIONS")
                #expect(response.headers[.accessControlMaxAge] == "86400")
            }
            try await client.execute(uri: "/api/legacy", method: .get) { response in
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}
