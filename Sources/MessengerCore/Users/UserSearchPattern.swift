/// The `LIKE` pattern of a user search: "contains `query`", with `%`, `_` and the escape character
/// itself taken literally (D-22). The reference passed the query through, so `_` matched any
/// character and `%` everything.
///
/// Use with `ESCAPE '\'`.
enum UserSearchPattern {
    static func containing(_ query: String) -> String {
        // Scalars, not Characters: a combining mark after a backslash would hide it inside one Character.
        var pattern = String.UnicodeScalarView()
        pattern.append("%")
        for scalar in query.unicodeScalars {
            if scalar == "%" || scalar == "_" || scalar == "\\" {
                pattern.append("\\")
            }
            pattern.append(scalar)
        }
        pattern.append("%")
        return String(pattern)
    }
}
