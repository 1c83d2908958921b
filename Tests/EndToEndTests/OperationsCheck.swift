import Foundation
import TestSupport

/// Runs scripts/ops/check_ops.py (the checks of compose/, see its header) and other operations
/// tools for the Operations*Tests suites. A failing tool fails the test with the tool's output.
enum OperationsCheck {
    static var checker: String {
        TestEnvironment.repositoryRoot.appendingPathComponent("scripts/ops/check_ops.py").path
    }

    /// `check_ops.py <arguments>`; its output, or a `ChildProcess.Failure` carrying it.
    @discardableResult
    static func run(_ arguments: [String]) async throws -> String {
        try await tool("/usr/bin/python3", [checker] + arguments)
    }

    /// Runs `executable` to completion with a minimal environment plus `environment`.
    @discardableResult
    static func tool(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(300)
    ) async throws -> String {
        let directory = try ScratchDirectory()
        defer { directory.remove() }
        let log = directory.path("output.log")
        var variables = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME", "LANG"].contains($0.key) }
        variables.merge(environment) { $1 }
        try await ChildProcess.run(executable, arguments, environment: variables, logPath: log, timeout: timeout)
        return (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
    }
}

/// A private temporary directory, removed by `remove()`.
struct ScratchDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("messenger-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

struct OperationsTestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
