import MessengerCore

/// api_legacy's timestamps (legacy-api.md §10.3): SQLite `CURRENT_TIMESTAMP` text, UTC,
/// `YYYY-MM-DD HH:MM:SS`. Hand-edited or very old rows may carry a `T`, a fraction, a `Z` or an
/// offset, or a Unix time as a number; those are read too. Anything else is unparseable and the
/// caller applies the documented fallback (the Unix epoch, listed in the report).
public enum LegacyTimestamp {
    /// 1970-01-01 00:00:00 UTC: the documented value for a missing or unparseable timestamp.
    public static let fallback: Int64 = 0

    /// Microseconds since the Unix epoch, or nil when `text` is not a timestamp.
    public static func microseconds(parsing text: String) -> Int64? {
        if let canonical = text.utf8.withContiguousStorageIfAvailable(microseconds(canonical:)), let canonical {
            return canonical
        }
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == UInt8(ascii: " ") { bytes.removeLast() }
        while let first = bytes.first, first == UInt8(ascii: " ") { bytes.removeFirst() }
        if !bytes.isEmpty, bytes.count <= 10, bytes.allSatisfy({ (48...57).contains($0) }) {
            let number = bytes.reduce(Int64(0)) { $0 * 10 + Int64($1 - 48) }
            return number <= 4_102_444_800 ? number * 1_000_000 : nil
        }
        var cursor = 0
        func digits(_ count: Int) -> Int? {
            guard cursor + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[cursor..<cursor + count] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            cursor += count
            return value
        }
        func expect(_ characters: String) -> Bool {
            guard cursor < bytes.count, characters.utf8.contains(bytes[cursor]) else { return false }
            cursor += 1
            return true
        }
        guard let year = digits(4), expect("-"), let month = digits(2), expect("-"), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var hour = 0, minute = 0, second = 0, micros = 0, offsetSeconds = 0
        if cursor < bytes.count {
            guard expect(" T"), let h = digits(2), expect(":"), let m = digits(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") {
                cursor += 1
                guard let s = digits(2), s < 60 else { return nil }
                second = s
            }
            if cursor < bytes.count, bytes[cursor] == UInt8(ascii: ".") {
                cursor += 1
                var scale = 100_000
                var any = false
                while cursor < bytes.count, (48...57).contains(bytes[cursor]) {
                    micros += Int(bytes[cursor] - 48) * scale
                    scale /= 10
                    cursor += 1
                    any = true
                }
                guard any else { return nil }
            }
            if cursor < bytes.count {
                if expect("Zz") {
                    offsetSeconds = 0
                } else {
                    let sign = bytes[cursor] == UInt8(ascii: "-") ? -1 : 1
                    guard expect("+-"), let oh = digits(2) else { return nil }
                    _ = expect(":")
                    guard let om = digits(2), oh < 24, om < 60 else { return nil }
                    offsetSeconds = sign * (oh * 3600 + om * 60)
                }
            }
            guard cursor == bytes.count else { return nil }
        }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
            + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return seconds * 1_000_000 + Int64(micros)
    }

    /// The common case, read without copying: exactly `YYYY-MM-DD HH:MM:SS` (what
    /// `CURRENT_TIMESTAMP` writes), or nil for anything else (then `microseconds(parsing:)` reads
    /// the other forms).
    public static func microseconds(canonical bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard bytes.count == 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            var value = 0
            for index in start..<start + count {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60
        else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return seconds * 1_000_000
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days-from-civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, what COPY's text format reads as a UTC timestamptz.
    public static func copyText(microseconds: Int64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        writeCopyText(microseconds: microseconds, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `copyText` without building a String (one call per copied row).
    public static func writeCopyText(microseconds: Int64, into bytes: inout [UInt8]) {
        let time = UTCDateTime(microsecondsSinceEpoch: microseconds)
        time.appendDate(separator: UInt8(ascii: "-"), to: &bytes)
        bytes.append(UInt8(ascii: " "))
        time.appendTime(separator: UInt8(ascii: ":"), to: &bytes)
        if time.microsecond != 0 {
            bytes.append(UInt8(ascii: "."))
            CivilCalendar.appendDigits(time.microsecond, width: 6, to: &bytes)
        }
        bytes.append(contentsOf: "+00".utf8)
    }

    /// The first day of the UTC month holding `microseconds`, as (year, month).
    public static func month(microseconds: Int64) -> (year: Int, month: Int) {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let days = CivilCalendar.days(fromEpochSeconds: seconds)
        let (year, month, _) = CivilCalendar.date(fromDays: days)
        return (year, month)
    }
}
