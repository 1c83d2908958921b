import Foundation

/// The two UTC spellings of a signing instant: `yyyyMMdd'T'HHmmss'Z'` (`X-Amz-Date`) and
/// `yyyyMMdd` (the credential scope). Computed arithmetically rather than with a formatter so the
/// result can never pick up a locale, calendar or time zone from the process.
struct AmzTimestamp {
    /// `20130524T000000Z`
    let dateTime: String
    /// `20130524`
    let day: String

    init(_ date: Date) {
        let time = UTCDateTime(microsecondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)) * 1_000_000)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        time.appendDate(separator: nil, to: &bytes)
        day = String(decoding: bytes, as: UTF8.self)
        bytes.append(UInt8(ascii: "T"))
        time.appendTime(separator: nil, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
        dateTime = String(decoding: bytes, as: UTF8.self)
    }
}
