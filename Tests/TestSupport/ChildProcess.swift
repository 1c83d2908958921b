import Foundation
import Synchronization

/// A child process started with posix_spawn and reaped by polling `waitpid`. Foundation's `Process`
/// did not reliably report exits here (it missed them for scripts whose daemons outlive them, and
/// under parallel tests), which hung the test run.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)

    public struct Failure: Error, CustomStringConvertible {
        public let command: String
        public let status: Int32
        public let output: String
        public var description: String { "\(command) exited with \(status):\n\(output)" }
    }

    /// Starts `executable arguments` with exactly `environment`; stdin is /dev/null, stdout and
    /// stderr go to `logPath`.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    public init(_ executable: String, _ arguments: [String], environment: [String: String], logPath: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process's: its descriptors are not all close-on-exec, and a child
        // inheriting a thousand sockets of a parallel test has too few left (PostgreSQL refuses to
        // start with "insufficient file descriptors").
        // (glibc ≥ 2.34 has the call; Swift's Glibc module does not declare it.)
        guard let closeFrom = Self.addCloseFrom, closeFrom(&actions, 3) == 0 else {
            throw Failure(command: executable, status: -1, output: "posix_spawn_file_actions_addclosefrom_np is unavailable")
        }
        // The spawning thread's signal mask and dispositions would be inherited: worker threads of the
        // test process block SIGTERM, and a child started from one could not be stopped gracefully.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw Failure(command: executable, status: -1, output: "posix_spawn failed: \(String(cString: strerror(spawned)))")
        }
        self.pid = pid
    }

    /// Reaps the child if it has exited. Polling with WNOHANG rather than a blocking wait: with
    /// SIGCHLD ignored somewhere in the test process, a blocking `waitpid` waits for every child.
    private func poll() -> Int32? {
        exitStatus.withLock { known in
            if let known { return known }
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid {
                // WIFEXITED / WEXITSTATUS, which Swift does not import as functions.
                known = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
            } else if result == -1 && errno == ECHILD {
                // Already reaped by someone else: gone, status unknown.
                known = -1
            }
            return known
        }
    }

    public var isRunning: Bool { poll() == nil }

    /// The exit code (128 + signal for a killed process), or nil while it runs.
    public var terminationStatus: Int32? { poll() }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the exit; nil when `timeout` passed first.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let status = terminationStatus { return status }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return terminationStatus
    }

    /// Runs a command to completion; throws unless it exits 0.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String], logPath: String,
        timeout: Duration = .seconds(120)
    ) async throws {
        let child = try ChildProcess(executable, arguments, environment: environment, logPath: logPath)
        let status = await child.waitForExit(timeout: timeout)
        guard status == 0 else {
            child.signal(SIGKILL)
            throw Failure(
                command: ([executable] + arguments).joined(separator: " "), status: status ?? -1,
                output: (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")
        }
    }
}
