/// Typed, strict access to the process environment. The reference parsed integers leniently
/// (garbage became 0, which made every token expire at once); here a malformed value is a
/// startup error.
public struct EnvironmentVariables: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String]) {
        self.values = values
    }

    /// The value, or nil when the variable is unset or empty.
    public func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    /// The first of `names` that is set and non-empty.
    public func string(anyOf names: [String]) -> (name: String, value: String)? {
        for name in names {
            if let value = string(name) { return (name, value) }
        }
        return nil
    }

    public func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        try integer(anyOf: [name], default: defaultValue, range: range)
    }

    public func integer(anyOf names: [String], default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let (name, text) = string(anyOf: names) else { return defaultValue }
        guard let value = Int(text.trimmingASCIIWhitespace()) else {
            throw ConfigurationError(variable: name, problem: "must be an integer, got \"\(text)\"")
        }
        guard range.contains(value) else {
            throw ConfigurationError(
                variable: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    public func boolean(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let text = string(name) else { return defaultValue }
        switch text.trimmingASCIIWhitespace().lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw ConfigurationError(variable: name, problem: "must be true or false, got \"\(text)\"")
        }
    }

    public func list(_ name: String) -> [String] {
        guard let text = string(name) else { return [] }
        return text.split(separator: ",").map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\n" || first == "\r" {
            scalars = scalars.dropFirst()
        }
        while let last = scalars.last, last == " " || last == "\t" || last == "\n" || last == "\r" {
            scalars = scalars.dropLast()
        }
        return String(scalars)
    }
}
