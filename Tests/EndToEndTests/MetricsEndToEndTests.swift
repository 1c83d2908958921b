import Foundation
import Testing
import TestSupport

@Suite("Metrics of the real gateway binary")
struct MetricsEndToEndTests {
    @Test("/metrics passes promtool and labels requests by route template")
    func promtoolAcceptsMetrics() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                _ = try await HTTPTestClient.request(gateway.baseURL + "/no/such/path/12345")
                _ = try await HTTPTestClient.request(gateway.baseURL + "/health", method: .POST)
                let reply = try await HTTPTestClient.request(gateway.baseURL + "/metrics")
                #expect(reply.status == 200)
                #expect(reply.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
                let text = reply.text
                #expect(text.contains("# HELP messenger_http_requests_total Total HTTP requests"))
                #expect(text.contains(#"messenger_http_requests_total{method="GET",path="unmatched",status="404"} 1"#))
                #expect(text.contains(#"le="1"}"#))
                #expect(!text.contains("12345"))
                #expect(try Promtool.checkMetrics(text) == 0)
            }
        }
    }

    @Test("METRICS_TOKEN protects /metrics with a bearer token")
    func metricsToken() async throws {
        let token = "metrics-token-0123456789abcdef-0123456789"
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url, environment: ["METRICS_TOKEN": token]) { gateway in
                #expect(try await HTTPTestClient.request(gateway.baseURL + "/metrics").status == 401)
                let wrong = try await HTTPTestClient.request(gateway.baseURL + "/metrics", headers: [("Authorization", "Bearer nope")])
                #expect(wrong.status == 401)
                let right = try await HTTPTestClient.request(gateway.baseURL + "/metrics", headers: [("Authorization", "Bearer \(token)")])
                #expect(right.status == 200)
            }
        }
    }

    @Test("METRICS_PORT moves /metrics to its own loopback listener")
    func metricsPort() async throws {
        let metricsPort = try GatewayProcess.freePort()
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url, environment: ["METRICS_PORT": String(metricsPort)]) { gateway in
                #expect(gateway.port != metricsPort)
                #expect(try await HTTPTestClient.request(gateway.baseURL + "/metrics").status == 404)
                let reply = try await HTTPTestClient.request("http://127.0.0.1:\(metricsPort)/metrics")
                #expect(reply.status == 200)
                #expect(try Promtool.checkMetrics(reply.text) == 0)
            }
        }
    }
}

/// `promtool check metrics` from Debian's prometheus package, which scripts/services.sh installs.
enum Promtool {
    static func checkMetrics(_ text: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 { print("promtool:", report) }
        return process.terminationStatus
    }
}
