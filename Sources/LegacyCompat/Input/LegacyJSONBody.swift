import Foundation
import Hummingbird
import MessengerCore
import NIOCore

/// A legacy JSON request body, read as api_legacy read it (legacy-api.md §0 "JSON request
/// bodies"): only with a JSON content type; anything else, and any falsy top-level value, is an
/// empty object. Where api_legacy crashed (a truthy non-object top level, a field of the wrong
/// type) the routes answer 400 in the legacy style instead; so does a body that is not JSON at all
/// on the routes where an empty object would silently change stored data.
enum LegacyJSONBody {
    enum Parsed: Equatable {
        case object([String: JSONValue])
        /// Not JSON, or a truthy top level that is not an object.
        case malformed
    }

    static let maximumSize = 1 << 20

    static func read(_ request: Request) async throws -> Parsed {
        guard isJSONContentType(request.headers[.contentType]) else { return .object([:]) }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumSize)
        } catch is NIOTooManyBytesError {
            throw LegacyError(.contentTooLarge, "Request body too large")
        }
        guard buffer.readableBytes > 0 else { return .malformed }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer)) else { return .malformed }
        if case .object(let object) = value { return .object(object) }
        return LegacyValue.isTruthy(value) ? .malformed : .object([:])
    }

    /// The body as an object; a malformed one is treated like the empty object, which is how
    /// api_legacy read it (the route's "missing field" error follows).
    static func object(_ request: Request) async throws -> [String: JSONValue] {
        switch try await read(request) {
        case .object(let object): return object
        case .malformed: return [:]
        }
    }

    /// `application/json` or `application/<anything>+json`, parameters ignored.
    static func isJSONContentType(_ header: String?) -> Bool {
        guard let header else { return false }
        let mediaType = header.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }
}

/// Python's view of JSON values, as api_legacy's checks applied it.
enum LegacyValue {
    /// `bool(value)`.
    static func isTruthy(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null: false
        case .bool(let flag): flag
        case .integer(let number): number != 0
        case .double(let number): number != 0
        case .string(let text): !text.isEmpty
        case .array(let elements): !elements.isEmpty
        case .object(let members): !members.isEmpty
        }
    }

    /// `str(value)` for scalars; nil for arrays and objects, which no legacy check accepts.
    static func stringForm(_ value: JSONValue) -> String? {
        switch value {
        case .null: "None"
        case .bool(let flag): flag ? "True" : "False"
        case .integer(let number): String(number)
        case .double(let number): number.description
        case .string(let text): text
        case .array, .object: nil
        }
    }

    /// `value or ""` for a field that must be a string: nil when a truthy value of another type
    /// was sent (api_legacy crashed there).
    static func textOrEmpty(_ value: JSONValue?) -> String? {
        guard isTruthy(value) else { return "" }
        return value?.stringValue
    }

    /// An id given as a JSON integer or a digit string (`with_user_id`, `chat_id`): nil when
    /// falsy or when its string form is not a digit string. Digit strings beyond every stored id
    /// give `Int64.max`, which then matches nothing.
    static func identifier(_ value: JSONValue?) -> Int64? {
        guard let value, isTruthy(value), let text = stringForm(value) else { return nil }
        return PythonText.identifierOrBeyond(text)
    }
}
