/// Proleptic Gregorian dates from day counts since 1970-01-01 and back (Howard Hinnant's
/// algorithms): exact for any day, with no Calendar or time-zone machinery, which matters on the
/// hot paths that format timestamps (API responses, the migrator's COPY text).
public enum CivilCalendar {
    /// The (year, month, day) of `days` after 1970-01-01.
    public static func date(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        return (Int(yearOfEra + era * 400) + (month <= 2 ? 1 : 0), month, day)
    }

    /// The floor division of a second count into whole days, for negative counts too.
    public static func days(fromEpochSeconds seconds: Int64) -> Int64 {
        seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    }

    /// `value` in decimal, zero-padded to `width` digits (wider values are written whole).
    public static func appendDigits(_ value: Int, width: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<max(width, 1) { divisor *= 10 }
        guard value >= 0, value < divisor * 10 else {
            bytes.append(contentsOf: String(value).utf8)
            return
        }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(48 + rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}

/// A UTC instant broken down into its calendar fields, for writing timestamp layouts by hand.
public struct UTCDateTime: Sendable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// 0..<1_000_000
    public var microsecond: Int

    public init(microsecondsSinceEpoch microseconds: Int64) {
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let days = CivilCalendar.days(fromEpochSeconds: seconds)
        let secondOfDay = Int(seconds - days * 86_400)
        (year, month, day) = CivilCalendar.date(fromDays: days)
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        microsecond = Int(microseconds - seconds * 1_000_000)
    }

    /// `YYYY<separator>MM<separator>DD`
    public func appendDate(separator: UInt8?, to bytes: inout [UInt8]) {
        Self.append((year, 4), (month, 2), (day, 2), separator: separator, to: &bytes)
    }

    /// `hh<separator>mm<separator>ss`
    public func appendTime(separator: UInt8?, to bytes: inout [UInt8]) {
        Self.append((hour, 2), (minute, 2), (second, 2), separator: separator, to: &bytes)
    }

    private static func append(
        _ first: (Int, width: Int), _ second: (Int, width: Int), _ third: (Int, width: Int), separator: UInt8?,
        to bytes: inout [UInt8]
    ) {
        CivilCalendar.appendDigits(first.0, width: first.width, to: &bytes)
        if let separator { bytes.append(separator) }
        CivilCalendar.appendDigits(second.0, width: second.width, to: &bytes)
        if let separator { bytes.append(separator) }
        CivilCalendar.appendDigits(third.0, width: third.width, to: &bytes)
    }
}
