/// Rewrites the registry's exposition into the layout the contract fixes (jwt-api.md §6.2): `le`
/// values written canonically (`1`, not `1.0`), histogram sums with six decimals, and a blank line
/// between families and between histogram series. The values themselves are untouched.
enum PrometheusTextLayout {
    static func apply(to text: String) -> String {
        var output: [Substring] = []
        var previous: Substring = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let startsFamily = line.hasPrefix("# HELP") || (line.hasPrefix("# TYPE") && !previous.hasPrefix("# HELP"))
            let startsSeries = isBucket(line) && !isBucket(previous) && !previous.hasPrefix("#")
            if !output.isEmpty && (startsFamily || startsSeries) {
                output.append("")
            }
            output.append(rewrite(line))
            previous = line
        }
        return output.joined(separator: "\n") + "\n"
    }

    private static func isBucket(_ line: Substring) -> Bool {
        line.contains("_bucket{")
    }

    private static func rewrite(_ line: Substring) -> Substring {
        if isBucket(line), let range = line.range(of: "le=\"") {
            let valueStart = range.upperBound
            guard let valueEnd = line[valueStart...].firstIndex(of: "\"") else { return line }
            let value = line[valueStart..<valueEnd]
            guard value.hasSuffix(".0") else { return line }
            return line[..<valueStart] + value.dropLast(2) + line[valueEnd...]
        }
        if line.hasPrefix("messenger_"), line.contains("_sum"), let space = line.lastIndex(of: " "),
           let value = Double(line[line.index(after: space)...]) {
            return line[...space] + Substring(sixDecimals(value))
        }
        return line
    }

    private static func sixDecimals(_ value: Double) -> String {
        let scaled = (value * 1_000_000).rounded()
        let whole = Int64(scaled / 1_000_000)
        let fraction = Int64(scaled) - whole * 1_000_000
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 6 - digits.count) + digits
    }
}
