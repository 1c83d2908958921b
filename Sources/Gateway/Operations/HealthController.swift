import Hummingbird
import MessengerCore
import NewAPI

/// GET /health (liveness: 200 while the process serves, with each dependency's state) and
/// GET /health/ready (readiness: 503 while PostgreSQL, or a configured Redis, is unreachable).
struct HealthController<Context: RequestContext> {
    let probe: HealthProbe

    struct HealthBody: Encodable {
        let status: String
        let service: String
        let dependencies: HealthReport
    }

    func addRoutes(to router: Router<Context>) {
        router.get("/health") { _, _ in
            let report = await probe.check()
            return try JSONResponse.encode(HealthBody(status: "ok", service: "gateway", dependencies: report))
        }
        router.get("/health/ready") { _, _ in
            let report = await probe.check()
            let ready = report.isReady
            return try JSONResponse.encode(
                HealthBody(status: ready ? "ok" : "unavailable", service: "gateway", dependencies: report),
                status: ready ? .ok : .serviceUnavailable)
        }
    }
}
