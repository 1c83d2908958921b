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
}
