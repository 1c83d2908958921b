import Foundation

/// Timestamps on the wire. The JWT API writes RFC 3339 UTC with six fractional digits
/// (jwt-api.md §1.6); the legacy API writes SQLite's `YYYY-MM-DD HH:MM:SS` (legacy-api.md §10.3).
public enum Timestamp {
    /// `2025-01-31T12:00:00.000000Z`
    public static func rfc3339(_ date: Date) -> String {
        let time = UTCDateTime(microsecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down)))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(27)
        time.appendDate(separator: UInt8(ascii: "-"), to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        time.appendTime(separator: UInt8(ascii: ":"), to: &bytes)
        bytes.append(UInt8(ascii: "."))
        CivilCalendar.appendDigits(time.microsecond, width: 6, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `2025-01-31 12:00:00`
    public static func legacy(_ date: Date) -> String {
        let time = UTCDateTime(microsecondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)) * 1_000_000)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(19)
        time.appendDate(separator: UInt8(ascii: "-"), to: &bytes)
        bytes.append(UInt8(ascii: " "))
        time.appendTime(separator: UInt8(ascii: ":"), to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
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
}
