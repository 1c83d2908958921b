import Foundation
import MessengerCore
import Testing

@Suite struct TimestampTests {
    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000000Z", "1970-01-01 00:00:00"),
        (1_700_000_000.123456, "2023-11-14T22:13:20.123456Z", "2023-11-14 22:13:20"),
        (951_825_600.5, "2000-02-29T12:00:00.500000Z", "2000-02-29 12:00:00"),
        (-1.25, "1969-12-31T23:59:58.750000Z", "1969-12-31 23:59:58"),
        (253_402_300_799.0, "9999-12-31T23:59:59.000000Z", "9999-12-31 23:59:59"),
    ])
    func writesBothLayouts(seconds: Double, rfc3339: String, legacy: String) {
        let date = Date(timeIntervalSince1970: seconds)
        #expect(Timestamp.rfc3339(date) == rfc3339)
        #expect(Timestamp.legacy(date) == legacy)
    }

    @Test func agreesWithISO8601DateFormatterOverManyInstants() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let seconds = Double(Int64.random(in: -2_208_988_800...4_102_444_800, using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            let expected = formatter.string(from: date).dropLast() + ".000000Z"
            #expect(Timestamp.rfc3339(date) == String(expected))
        }
    }
}
