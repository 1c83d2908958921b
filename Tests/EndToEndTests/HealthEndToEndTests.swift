import Foundation
import Testing
import TestSupport

@Suite("Health, readiness and lifecycle of the real gateway binary")
struct HealthEndToEndTests {
    @Test("GET /health reports the gateway and each dependency's state")
    func liveness() async throws {
        let redis = try TestEnvironment.redisURL()
        let s3 = try TestEnvironment.required("S3_ENDPOINT")
        try await ScratchDatabase.with { database, _ in
            let environment = [
                "REDIS_URL": redis, "S3_ENDPOINT": s3,
                "S3_ACCESS_KEY": try TestEnvironment.required("S3_ACCESS_KEY"),
                "S3_SECRET_KEY": try TestEnvironment.required("S3_SECRET_KEY"),
            ]
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                let reply = try await HTTPTestClient.request(gateway.baseURL + "/health")
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
                let body = try reply.object()
                #expect(body["status"] as? String == "ok")
                #expect(body["service"] as? String == "gateway")
                let dependencies = try #require(body["dependencies"] as? [String: String])
                #expect(dependencies == ["database": "up", "redis": "up", "object_store": "up"])
            }
        }
    }

    @Test("without Redis and S3 the gateway runs single-node and says so")
    func singleNode() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                let body = try await HTTPTestClient.request(gateway.baseURL + "/health/ready").object()
                #expect(body["dependencies"] as? [String: String] == ["database": "up", "redis": "disabled", "object_store": "disabled"])
                // Every response names its request id; a sane incoming one is kept, a hostile one replaced.
                let traced = try await HTTPTestClient.request(gateway.baseURL + "/nope", headers: [("X-Request-ID", "proxy-42.a_b")])
                #expect(traced.headers.first(name: "X-Request-ID") == "proxy-42.a_b")
                let hostile = try await HTTPTestClient.request(gateway.baseURL + "/nope", headers: [("X-Request-ID", "x\" y=1")])
                let replaced = try #require(hostile.headers.first(name: "X-Request-ID"))
                #expect(replaced != "x\" y=1" && !replaced.isEmpty)
            }
        }
    }

    @Test("/health/ready is 503 while PostgreSQL is down and 200 again after it returns, without a restart")
    func readinessFollowsDatabase() async throws {
        let cluster = try await PrivatePostgresCluster.start()
        do {
            try await GatewayProcess.with(databaseURL: cluster.databaseURL) { gateway in
                #expect(try await HTTPTestClient.request(gateway.baseURL + "/health/ready").status == 200)
                try await cluster.stop()
                let down = try await HTTPTestClient.request(gateway.baseURL + "/health/ready")
                #expect(down.status == 503)
                #expect(try down.object()["status"] as? String == "unavailable")
                // Liveness stays 200: the process still serves.
                let live = try await HTTPTestClient.request(gateway.baseURL + "/health")
                #expect(live.status == 200)
                #expect((try live.object()["dependencies"] as? [String: String])?["database"] == "down")
                try await cluster.restart()
                var recovered = false
                for _ in 0..<50 where !recovered {
                    recovered = try await HTTPTestClient.request(gateway.baseURL + "/health/ready").status == 200
                    if !recovered { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(recovered)
            }
        } catch {
            await cluster.destroy()
            throw error
        }
        await cluster.destroy()
    }

    @Test("SIGTERM stops the gateway cleanly")
    func gracefulShutdown() async throws {
        try await ScratchDatabase.with { database, _ in
            let gateway = try await GatewayProcess.start(databaseURL: database.url)
            let status = await gateway.stop(timeout: .seconds(20))
            #expect(status == 0)
            #expect(!gateway.isRunning)
        }
    }

    @Test("two gateways starting at once on an empty database both come up")
    func concurrentStartup() async throws {
        try await ScratchDatabase.with(migrated: false) { database, _ in
            async let first = GatewayProcess.start(databaseURL: database.url)
            async let second = GatewayProcess.start(databaseURL: database.url)
            let gateways = try await [first, second]
            for gateway in gateways {
                let ready = try await HTTPTestClient.request(gateway.baseURL + "/health/ready")
                #expect(ready.status == 200, "\(ready.text)")
                await gateway.stop()
            }
            let logs = gateways.map(\.log).joined()
            #expect(logs.components(separatedBy: "applying schema migration").count - 1 >= 1)
        }
    }

    @Test("production refuses to start without its secrets, naming the variable")
    func missingSecretRefused() async throws {
        try await ScratchDatabase.with { database, _ in
            do {
                let gateway = try await GatewayProcess.start(databaseURL: database.url, environment: ["JWT_SECRET": ""])
                await gateway.stop()
                Issue.record("the gateway started without JWT_SECRET")
            } catch let GatewayProcessError.exited(status, log) {
                #expect(status != 0)
                #expect(log.contains("JWT_SECRET is required in production"))
            }
        }
    }
}
