import Foundation

/// The rate limits count in fixed one-minute windows. A test that needs N requests in one window
/// starts at the top of a minute, so a slow, loaded machine cannot spread them over two windows.
public enum FixedWindow {
    public static func waitForTopOfMinute() async throws {
        let second = Int(Date().timeIntervalSince1970) % 60
        if second > 2 {
            try await Task.sleep(for: .seconds(60 - second))
        }
    }
}
