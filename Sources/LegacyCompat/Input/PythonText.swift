/// Python's string rules that api_legacy's validation relied on (legacy-api.md §0): lengths and
/// slices count code points, and `strip()` removes Python's whitespace set.
enum PythonText {
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `text.strip()`.
    static func strip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhitespace($0) }),
              let last = scalars.lastIndex(where: { !isWhitespace($0) })
        else { return "" }
        return String(scalars[first...last])
    }

    /// `len(text)`.
    static func length(_ text: String) -> Int {
        text.unicodeScalars.count
    }

    /// `text[:count]`.
    static func prefix(_ text: String, _ count: Int) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(count)))
    }

    /// Non-empty ASCII `[0-9]+`: the replacement's reading of `str.isdigit()` (non-ASCII digits
    /// only ever made api_legacy convert oddly or crash).
    static func isDigitString(_ text: some StringProtocol) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// The value of a digit string, `Int64.max` when it exceeds every stored id (so it matches
    /// nothing, as in api_legacy), nil when it is no digit string.
    static func identifierOrBeyond(_ text: some StringProtocol) -> Int64? {
        guard isDigitString(text) else { return nil }
        return Int64(text) ?? Int64.max
    }

    /// Registration's character rule (§5.1 check 2): what is left after removing `_` and `-` is
    /// non-empty and made of letters (L*) and numbers (Nd, Nl, No) only.
    static func isLegacyUsername(_ username: String) -> Bool {
        let rest = username.unicodeScalars.filter { $0 != "_" && $0 != "-" }
        return !rest.isEmpty && rest.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .decimalNumber, .letterNumber, .otherNumber:
                return true
            default:
                return false
            }
        }
    }
}
