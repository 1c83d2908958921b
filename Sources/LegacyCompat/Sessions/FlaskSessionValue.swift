/// One value in a legacy Flask session: the JSON subset the legacy app ever stored.
///
/// Floats are left out on purpose: no session holds one, and Python's float text could not be
/// reproduced byte for byte. A cookie carrying one decodes as anonymous.
public enum FlaskSessionValue: Sendable, Equatable {
    case int(Int64)
    case string(String)
    case bool(Bool)
    case null
    case array([FlaskSessionValue])
    case object([String: FlaskSessionValue])

    /// Keys Flask's tagged-JSON serializer uses to wrap non-JSON Python values (tuple, UUID,
    /// bytes, markup, datetime) and to escape dicts that look like them.
    static let tagKeys: Set<String> = [" t", " u", " b", " m", " d", " di"]

    /// Whether Flask would read this object as a tagged Python value rather than a dict.
    static func isTagged(_ object: [String: FlaskSessionValue]) -> Bool {
        guard object.count == 1, let key = object.keys.first else { return false }
        return tagKeys.contains(key)
    }

    /// Whether a tagged object occurs anywhere inside this value.
    var containsTaggedObject: Bool {
        switch self {
        case .int, .string, .bool, .null:
            return false
        case .array(let elements):
            return elements.contains { $0.containsTaggedObject }
        case .object(let members):
            return Self.isTagged(members) || members.values.contains { $0.containsTaggedObject }
        }
    }
}

extension FlaskSessionValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([FlaskSessionValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: FlaskSessionValue].self))
        }
    }
}
