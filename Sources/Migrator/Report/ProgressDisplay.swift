import Foundation
import Synchronization

/// Progress on stderr: a redrawn bar (table, rows/s, ETA) on a terminal, one quiet line per table
/// and every few seconds otherwise (logs, CI).
public final class ProgressDisplay: Sendable {
    private struct State {
        var table = ""
        var total: Int64 = 0
        var done: Int64 = 0
        var started = ContinuousClock.now
        var lastDraw = ContinuousClock.now
    }

    private let state = Mutex(State())
    let isTerminal: Bool
    let enabled: Bool

    public init(enabled: Bool = true) {
        self.isTerminal = isatty(STDERR_FILENO) == 1
        self.enabled = enabled
    }

    public func begin(table: String, total: Int64) {
        state.withLock { state in
            state = State(table: table, total: total)
        }
        guard enabled else { return }
        if !isTerminal { write("\(table): \(total) rows\n") }
    }

    public func advance(by rows: Int64) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            state.done += rows
            let now = ContinuousClock.now
            let interval: Duration = isTerminal ? .milliseconds(100) : .seconds(5)
            guard now - state.lastDraw >= interval else { return nil }
            state.lastDraw = now
            return render(state, now: now)
        }
        if let line { write(line) }
    }

    public func finish() {
        guard enabled else { return }
        let line = state.withLock { state in
            let seconds = max(Self.seconds(ContinuousClock.now - state.started), 0.001)
            return "\(state.table): \(state.done) rows in \(String(format: "%.1f", seconds)) s (\(Int(Double(state.done) / seconds)) rows/s)"
        }
        write(isTerminal ? "\r\u{1B}[2K\(line)\n" : "\(line)\n")
    }

    private func render(_ state: State, now: ContinuousClock.Instant) -> String {
        let seconds = max(Self.seconds(now - state.started), 0.001)
        let rate = Double(state.done) / seconds
        let remaining = rate > 0 ? Double(max(state.total - state.done, 0)) / rate : 0
        let eta = String(format: "%d:%02d", Int(remaining) / 60, Int(remaining) % 60)
        guard isTerminal else {
            return "\(state.table): \(state.done)/\(state.total) rows, \(Int(rate)) rows/s, ETA \(eta)\n"
        }
        let fraction = state.total > 0 ? min(Double(state.done) / Double(state.total), 1) : 1
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return "\r\u{1B}[2K\(state.table.padding(toLength: 13, withPad: " ", startingAt: 0)) [\(bar)] \(Int(fraction * 100))% \(state.done)/\(state.total) \(Int(rate)) rows/s ETA \(eta)"
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
