import MessengerCore

/// The JSON subset a legacy Flask session may hold: what api_legacy ever stored (ints, strings,
/// bools). Floats are refused on purpose: no session holds one, and Python's float text could
/// not be reproduced byte for byte, so a cookie carrying one decodes as anonymous.
enum FlaskSessionPayload {
    /// Keys Flask's tagged-JSON serializer uses to wrap non-JSON Python values (tuple, UUID,
    /// bytes, markup, datetime) and to escape dicts that look like them.
    static let tagKeys: Set<String> = [" t", " u", " b", " m", " d", " di"]

    /// Whether Flask would read this object as a tagged Python value rather than a dict.
    static func isTagged(_ object: [String: JSONValue]) -> Bool {
        guard object.count == 1, let key = object.keys.first else { return false }
        return tagKeys.contains(key)
    }

    /// Whether the value can round-trip through a Flask session unchanged: no tagged object and
    /// no float anywhere inside.
    static func isStorable(_ value: JSONValue) -> Bool {
        switch value {
        case .integer, .string, .bool, .null:
            return true
        case .double:
            return false
        case .array(let elements):
            return elements.allSatisfy(isStorable)
        case .object(let members):
            return !isTagged(members) && members.values.allSatisfy(isStorable)
        }
    }
}
