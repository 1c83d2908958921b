import Foundation

/// When an event was published, carried across Redis for the publish→deliver lag metric. The
/// gateway appends one last field, `"bus_published_us":<unix microseconds>`, to the JSON object
/// it publishes and strips it again on arrival, so sockets get exactly the published payload.
/// Payloads of other publishers (no such field) pass through untouched; a subscriber that does not
/// strip it (an older node) forwards one unknown field, which clients ignore (jwt-api.md §5.4).
public enum BusTimestamp {
    static let field = #","bus_published_us":"#

    /// `payload` with the publish time appended; unchanged when it is not a non-empty JSON object.
    public static func stamp(_ payload: String, at now: Date = Date()) -> String {
        guard payload.hasPrefix("{"), payload.hasSuffix("}"), payload.count > 2 else { return payload }
        let micros = Int64((now.timeIntervalSince1970 * 1_000_000).rounded())
        return payload.dropLast() + field + String(micros) + "}"
    }

    /// The published payload and, when stamped, the publish time.
    public static func unstamp(_ text: String) -> (payload: String, publishedAt: Date?) {
        guard text.hasSuffix("}"), let range = text.range(of: field, options: .backwards) else { return (text, nil) }
        let digits = text[range.upperBound..<text.index(before: text.endIndex)]
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let micros = Int64(digits) else {
            return (text, nil)
        }
        return (text[..<range.lowerBound] + "}", Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }
}
