import Foundation
import Testing
import TestSupport

@Suite("Test support: child processes")
struct ChildProcessTests {
    @Test("exit codes are reported, and a terminated child is seen as gone")
    func exitCodes() async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let quick = try ChildProcess("/bin/sh", ["-c", "echo hi; exit 3"], environment: [:], logPath: log)
        #expect(await quick.waitForExit(timeout: .seconds(10)) == 3)
        let sleeper = try ChildProcess("/bin/sleep", ["30"], environment: [:], logPath: log)
        #expect(sleeper.isRunning)
        sleeper.signal(SIGTERM)
        #expect(await sleeper.waitForExit(timeout: .seconds(10)) == 128 + SIGTERM)
    }
}
