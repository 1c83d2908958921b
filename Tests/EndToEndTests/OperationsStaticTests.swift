import Foundation
import Testing
import TestSupport

/// The compose stack, read rather than run (no container engine here): scripts/ops/check_ops.py's
/// rules, promtool on the Prometheus configuration, and the runtime image's shared libraries
/// against what the built binaries really load.
@Suite("Operations files (compose/)")
struct OperationsStaticTests {
    @Test("compose file, .env.example, Dockerfile, nginx.conf and Grafana follow the rules")
    func staticChecks() async throws {
        let output = try await OperationsCheck.run(["static"])
        #expect(output.contains("ok"))
    }

    @Test("promtool accepts compose/prometheus.yml as it is")
    func promtoolCheckConfig() async throws {
        // The config reads METRICS_TOKEN from `metrics_token` next to it (a compose secret); a
        // placeholder file stands in for the secret, the config itself is the repository's.
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let source = TestEnvironment.repositoryRoot.appendingPathComponent("compose/prometheus.yml")
        try FileManager.default.copyItem(atPath: source.path, toPath: directory.path("prometheus.yml"))
        try directory.write("placeholder-token", to: "metrics_token")
        let output = try await OperationsCheck.tool("/usr/bin/promtool", ["check", "config", directory.path("prometheus.yml")])
        #expect(output.contains("SUCCESS"))
    }

    @Test("the runtime image installs every shared library the gateway and migrator load")
    func runtimeLibraries() async throws {
        try await OperationsCheck.run([
            "runtime-libs", TestEnvironment.executable("gateway").path, TestEnvironment.executable("migrator").path,
        ])
    }

    @Test("the dashboard check rejects a query of a metric the gateway does not export")
    func dashboardCheckFailsOnMissingMetrics() async throws {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        try directory.write("# HELP other_total Something else\n# TYPE other_total counter\nother_total 1\n", to: "metrics.txt")
        await #expect(throws: ChildProcess.Failure.self) {
            try await OperationsCheck.run(["dashboard-metrics", directory.path("metrics.txt")])
        }
    }
}
