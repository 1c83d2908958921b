import Foundation

/// The signed-header part of a SigV4 canonical request: lower-case names in byte order, values
/// trimmed with inner runs of spaces collapsed, repeated headers joined with `,` in the order given.
struct CanonicalHeaders {
    /// `host;range;x-amz-content-sha256;x-amz-date`
    let names: String
    /// One `name:value\n` line per header; the trailing newline is part of the format.
    let block: String

    init(_ headers: [(String, String)]) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            values[name.lowercased(), default: []].append(Self.normalise(value))
        }
        let sortedNames = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        names = sortedNames.joined(separator: ";")
        block = sortedNames.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
    }

    private static func normalise(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true)
            .joined(separator: " ")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
