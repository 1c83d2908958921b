import Foundation

/// Timestamps on the wire. The JWT API writes RFC 3339 UTC with six fractional digits
/// (jwt-api.md §1.6); the legacy API writes SQLite's `YYYY-MM-DD HH:MM:SS` (legacy-api.md §10.3).
public enum Timestamp {
    public static func rfc3339(_ date: Date) -> String {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let fraction = microseconds - seconds * 1_000_000
        let c = components(seconds)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", c.year, c.month, c.day, c.hour, c.minute, c.second, Int(fraction))
    }

    public static func legacy(_ date: Date) -> String {
        let c = components(Int64(date.timeIntervalSince1970.rounded(.down)))
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour, c.minute, c.second)
    }

    /// Parses an RFC 3339 timestamp (`Z` or an offset, optional fraction), as clients send
    /// `muted_until`.
    public static func parseRFC3339(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        return plain.date(from: text)
    }

    private static func components(_ epochSeconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        let days = CivilCalendar.days(fromEpochSeconds: epochSeconds)
        let secondOfDay = Int(epochSeconds - days * 86_400)
        let (year, month, day) = CivilCalendar.date(fromDays: days)
        return (year, month, day, secondOfDay / 3600, secondOfDay % 3600 / 60, secondOfDay % 60)
    }
}
