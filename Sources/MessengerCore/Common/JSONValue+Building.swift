import Foundation

/// Building response bodies: optionals become explicit `null`s, which the contracts require
/// (synthesized Codable would drop the key instead).
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { $1 }))
    }

    public init(_ value: String?) { self = value.map { .string($0) } ?? .null }
    public init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
    public init(_ value: Int?) { self = value.map { .integer(Int64($0)) } ?? .null }
    public init(_ value: Bool?) { self = value.map { .bool($0) } ?? .null }
    /// A timestamp in the JWT API's form (RFC 3339 UTC, microseconds).
    public init(rfc3339 value: Date?) { self = value.map { .string(Timestamp.rfc3339($0)) } ?? .null }
}
