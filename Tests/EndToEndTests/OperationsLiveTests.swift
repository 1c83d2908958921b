import Foundation
import Logging
import Testing
import TestSupport

/// The operations side of a running gateway: its /metrics against the Grafana dashboard, Debian's
/// Prometheus scraping it with compose/prometheus.yml's auth settings, the image's health check
/// script, and the database pool gauges.
@Suite("Operations against the real gateway binary")
struct OperationsLiveTests {
    static let metricsToken = "ops-metrics-token-0123456789abcdef-0123456789"

    @Test("every metric the dashboard queries is exported by the gateway")
    func dashboardMetricsExist() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url, environment: ["REDIS_URL": try TestEnvironment.redisURL()]) { gateway in
                // Labelled families appear with their first sample: a few requests and a socket.
                let session = try await APISession.register(on: gateway)
                _ = try await session.request(.GET, "/chats")
                _ = try await HTTPTestClient.request(gateway.baseURL + "/no/such/route")
                let socket = try await TestSocket.connect(to: gateway, token: session.accessToken)
                #expect(try await socket.receiveObject(ofType: "auth_ok") != nil)
                socket.close()
                let metrics = try await HTTPTestClient.request(gateway.baseURL + "/metrics")
                #expect(metrics.status == 200)
                let directory = try ScratchDirectory()
                defer { directory.remove() }
                try directory.write(metrics.text, to: "metrics.txt")
                let report = try await OperationsCheck.run(["dashboard-metrics", directory.path("metrics.txt")])
                // Names tolerated until branch realtime is merged are listed as notes.
                if report.contains("note:") { print(report) }
            }
        }
    }

    @Test("Debian's Prometheus scrapes the gateway with the compose bearer-token setup, and accepts every dashboard query")
    func prometheusSeesTargetUp() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url, environment: ["METRICS_TOKEN": Self.metricsToken]) { gateway in
                let directory = try ScratchDirectory()
                defer { directory.remove() }
                try directory.write(Self.metricsToken, to: "metrics_token")
                try await OperationsCheck.run([
                    "prometheus-config", "--target", "127.0.0.1:\(gateway.port)",
                    "--token-file", directory.path("metrics_token"), "--out", directory.path("prometheus.yml"),
                ])
                let port = try GatewayProcess.freePort()
                let prometheus = try ChildProcess(
                    "/usr/bin/prometheus",
                    [
                        "--config.file=\(directory.path("prometheus.yml"))", "--storage.tsdb.path=\(directory.path("data"))",
                        "--web.listen-address=127.0.0.1:\(port)",
                    ],
                    environment: ["PATH": "/usr/bin:/bin"], logPath: directory.path("prometheus.log"))
                do {
                    let target = try await Self.waitForGatewayTarget(prometheusPort: port, prometheus: prometheus)
                    #expect(target["health"] as? String == "up", "\(target)")
                    #expect(target["lastError"] as? String == "")
                    try await OperationsCheck.run(["dashboard-queries", "http://127.0.0.1:\(port)"])
                } catch {
                    prometheus.signal(SIGKILL)
                    _ = await prometheus.waitForExit(timeout: .seconds(10))
                    print((try? String(contentsOfFile: directory.path("prometheus.log"), encoding: .utf8)) ?? "")
                    throw error
                }
                prometheus.signal(SIGTERM)
                if await prometheus.waitForExit(timeout: .seconds(20)) == nil { prometheus.signal(SIGKILL) }
            }
        }
    }

    /// The gateway job's target once Prometheus has scraped it (health no longer "unknown").
    static func waitForGatewayTarget(prometheusPort: Int, prometheus: ChildProcess) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(90)
        var last: [String: Any] = [:]
        while ContinuousClock.now < deadline {
            if let status = prometheus.terminationStatus {
                throw OperationsTestFailure("prometheus exited early with status \(status)")
            }
            if let reply = try? await HTTPTestClient.request("http://127.0.0.1:\(prometheusPort)/api/v1/targets", timeout: .seconds(5)),
               reply.status == 200,
               let data = try reply.object()["data"] as? [String: Any],
               let targets = data["activeTargets"] as? [[String: Any]],
               let target = targets.first(where: { ($0["labels"] as? [String: Any])?["job"] as? String == "gateway" }) {
                last = target
                if target["health"] as? String == "up" { return target }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return last
    }

    @Test("compose/nginx.conf balances two gateways without pinning, upgrades /ws and hides /metrics")
    func nginxInFrontOfTwoGateways() async throws {
        try await ScratchDatabase.with { database, _ in
            let first = try await GatewayProcess.start(databaseURL: database.url)
            let second: GatewayProcess
            do {
                second = try await GatewayProcess.start(databaseURL: database.url)
            } catch {
                await first.stop()
                throw error
            }
            let directory = try ScratchDirectory()
            defer { directory.remove() }
            var nginx: ChildProcess?
            do {
                let port = try GatewayProcess.freePort()
                try await OperationsCheck.run([
                    "nginx-config", "--gateway-1", "127.0.0.1:\(first.port)", "--gateway-2", "127.0.0.1:\(second.port)",
                    "--minio", "127.0.0.1:\(try GatewayProcess.freePort())", "--listen", "127.0.0.1:\(port)",
                    "--dir", directory.url.path, "--out", directory.path("nginx.conf"),
                ])
                let arguments = ["-c", directory.path("nginx.conf"), "-p", directory.url.path, "-g", "daemon off;"]
                try await OperationsCheck.tool("/usr/sbin/nginx", ["-t"] + arguments)
                nginx = try ChildProcess("/usr/sbin/nginx", arguments, environment: [:], logPath: directory.path("nginx.log"))
                let base = "http://127.0.0.1:\(port)"
                try await Self.waitUntilAnswering(base + "/nginx-health")

                // Round robin: requests through nginx reach both replicas.
                for _ in 0..<8 {
                    #expect(try await HTTPTestClient.request(base + "/no/such/route").status == 404)
                }
                for gateway in [first, second] {
                    let text = try await HTTPTestClient.request(gateway.baseURL + "/metrics").text
                    let served = Self.value(of: #"messenger_http_requests_total{method="GET",path="unmatched",status="404"}"#, in: text) ?? 0
                    #expect(served >= 1, "a replica got no request through nginx")
                }
                #expect(try await HTTPTestClient.request(base + "/metrics").status == 404)

                // WebSockets through nginx: upgrade, authenticate, ping; interleaved with plain
                // requests, so that kept-alive upstream connections exist (the gateway cannot
                // upgrade on a reused connection, so /ws must not get one).
                let session = try await APISession.register(on: first)
                for _ in 0..<4 {
                    #expect(try await HTTPTestClient.request(base + "/health").status == 200)
                    let socket = try await TestSocket.connect(port: port, token: session.accessToken)
                    let authenticated = try await socket.receiveObject(ofType: "auth_ok")
                    #expect((authenticated?["user_id"] as? NSNumber)?.int64Value == session.userID)
                    try socket.send(["type": "ping"])
                    #expect(try await socket.receiveObject(ofType: "pong") != nil)
                    socket.close()
                }
            } catch {
                print((try? String(contentsOfFile: directory.path("nginx.log"), encoding: .utf8)) ?? "")
                await Self.stop(nginx)
                await first.stop()
                await second.stop()
                throw error
            }
            await Self.stop(nginx)
            await first.stop()
            await second.stop()
        }
    }

    /// SIGTERM: nginx's master stops its workers, then itself. A killed master would leave its
    /// workers running (and listening), so SIGKILL is only the last resort.
    static func stop(_ nginx: ChildProcess?) async {
        guard let nginx else { return }
        nginx.signal(SIGTERM)
        if await nginx.waitForExit(timeout: .seconds(20)) == nil {
            nginx.signal(SIGKILL)
            _ = await nginx.waitForExit(timeout: .seconds(10))
        }
    }

    static func waitUntilAnswering(_ url: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let reply = try? await HTTPTestClient.request(url, timeout: .seconds(2)), reply.status == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw OperationsTestFailure("\(url): no answer within 20 s")
    }

    @Test("the image's health check script passes on a ready gateway and fails on a closed port")
    func healthCheckScript() async throws {
        let script = TestEnvironment.repositoryRoot.appendingPathComponent("compose/gateway-healthcheck.sh").path
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                let output = try await OperationsCheck.tool("/bin/bash", [script], environment: ["PORT": String(gateway.port)])
                #expect(output.isEmpty)
            }
        }
        let closed = try GatewayProcess.freePort()
        await #expect(throws: ChildProcess.Failure.self) {
            try await OperationsCheck.tool("/bin/bash", [script], environment: ["PORT": String(closed)])
        }
    }

    @Test("database pool gauges and dependency error series are exported from the start")
    func poolAndDependencyMetrics() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                var text = ""
                let deadline = ContinuousClock.now + .seconds(30)
                // The sampler reads pg_stat_activity at start and every 5 s.
                while ContinuousClock.now < deadline {
                    text = try await HTTPTestClient.request(gateway.baseURL + "/metrics").text
                    if let open = Self.value(of: "messenger_db_pool_connections_open", in: text), open >= 1 { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                #expect(Self.value(of: "messenger_db_pool_size", in: text) == 4)
                let open = try #require(Self.value(of: "messenger_db_pool_connections_open", in: text))
                let inUse = try #require(Self.value(of: "messenger_db_pool_connections_in_use", in: text))
                #expect(open >= 1 && open <= 4)
                #expect(inUse >= 0 && inUse <= open)
                for dependency in ["database", "redis", "object_store"] {
                    #expect(text.contains(#"messenger_dependency_errors_total{dependency="\#(dependency)"} 0"#))
                }
                #expect(try Promtool.checkMetrics(text) == 0)
            }
        }
    }

    @Test("the compose environment is a configuration the binary accepts: the schema job migrates, a replica serves")
    func composeEnvironmentIsAccepted() async throws {
        try await ScratchDatabase.with(migrated: false) { database, _ in
            let composed = try await Self.composeEnvironment(of: "schema")
            #expect(Set(composed.keys) == Set(try await Self.composeEnvironment(of: "gateway-1").keys))
            // Only where the services are differs: the test's own instead of compose's host names.
            var environment = composed.merging(try Self.testServiceAddresses(database: database.url)) { $1 }
            environment["REDIS_PASS"] = nil  // the test Redis has no password
            environment["PATH"] = "/usr/bin:/bin"
            environment["MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
            try await OperationsCheck.tool(TestEnvironment.executable("gateway").path, ["migrate"], environment: environment)

            let gateway = try await GatewayProcess.start(databaseURL: database.url, environment: environment)
            do {
                #expect(try await HTTPTestClient.request(gateway.baseURL + "/health/ready").status == 200)
                let token = try #require(composed["METRICS_TOKEN"])
                #expect(try await HTTPTestClient.request(gateway.baseURL + "/metrics").status == 401)
                let metrics = try await HTTPTestClient.request(gateway.baseURL + "/metrics", headers: [("Authorization", "Bearer \(token)")])
                #expect(metrics.status == 200)
            } catch {
                await gateway.stop()
                throw error
            }
            await gateway.stop()
        }
    }

    /// `check_ops.py compose-env SERVICE`: the service's environment with fresh random secrets.
    static func composeEnvironment(of service: String) async throws -> [String: String] {
        let output = try await OperationsCheck.run(["compose-env", service])
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8))
        return try #require(object as? [String: String])
    }

    /// The compose variables that name hosts and ports, pointed at the test services.
    static func testServiceAddresses(database: String) throws -> [String: String] {
        let db = try #require(URLComponents(string: database))
        let redis = try #require(URLComponents(string: try TestEnvironment.redisURL()))
        let s3 = try #require(URLComponents(string: try TestEnvironment.required("S3_ENDPOINT")))
        return [
            "DB_HOST": db.host ?? "", "DB_PORT": String(db.port ?? 5432), "DB_NAME": String(db.path.dropFirst()),
            "DB_USER": db.user ?? "", "DB_PASS": db.password ?? "",
            "REDIS_HOST": redis.host ?? "", "REDIS_PORT": String(redis.port ?? 6379),
            "MINIO_ENDPOINT": "\(s3.host ?? ""):\(s3.port ?? 80)",
            "MINIO_ACCESS_KEY": try TestEnvironment.required("S3_ACCESS_KEY"),
            "MINIO_SECRET_KEY": try TestEnvironment.required("S3_SECRET_KEY"),
            "HOST": "127.0.0.1", "PORT": "0",
        ]
    }

    @Test("a PostgreSQL failure that reaches the edge as a 500 counts as a database error")
    func databaseErrorsAreCounted() async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                let session = try await APISession.register(on: gateway)
                // The test owns this database: break the chat list's query under the running gateway.
                try await client.query("DROP TABLE chat_members CASCADE", logger: Logger(label: "tests"))
                #expect(try await session.request(.GET, "/chats").status == 500)
                let text = try await HTTPTestClient.request(gateway.baseURL + "/metrics").text
                #expect(Self.value(of: #"messenger_dependency_errors_total{dependency="database"}"#, in: text) == 1)
                #expect(Self.value(of: #"messenger_dependency_errors_total{dependency="redis"}"#, in: text) == 0)
            }
        }
    }

    static func value(of series: String, in text: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }
}
