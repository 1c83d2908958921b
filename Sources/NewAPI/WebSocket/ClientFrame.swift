import Foundation
import MessengerCore

/// A client → server message of jwt-api.md §5.3, parsed without judging it: fields of the wrong
/// JSON type become nil (or `.invalid`) here and get their contract error in the session, so no
/// input can drop the connection.
enum ClientFrame: Equatable, Sendable {
    /// Where a resuming `subscribe` starts (docs/websocket.md).
    enum Resume: Equatable, Sendable {
        case none
        case after(Int64)
        case invalid
    }

    /// Not JSON, JSON `null`, or a JSON value that is not an object.
    case invalidJSON
    /// `token` is nil when absent or not a string.
    case auth(token: String?)
    case ping
    /// `chatID` is nil when it is not a positive integer.
    case subscribe(chatID: Int64?, resume: Resume)
    case unsubscribe(chatID: Int64?)
    case typing(chatID: Int64?)
    /// Any other `type`; the string value, or empty when `type` is absent or not a string.
    case unknown(type: String)

    init(text: String) {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
              case .object(let object) = value
        else {
            self = .invalidJSON
            return
        }
        let type = object["type"]?.stringValue ?? ""
        switch type {
        case "auth": self = .auth(token: object["token"]?.stringValue)
        case "ping": self = .ping
        case "subscribe":
            self = .subscribe(chatID: Self.chatID(object["chat_id"]), resume: Self.resume(object["last_message_id"]))
        case "unsubscribe": self = .unsubscribe(chatID: Self.chatID(object["chat_id"]))
        case "typing": self = .typing(chatID: Self.chatID(object["chat_id"]))
        default: self = .unknown(type: type)
        }
    }

    /// A positive integer (also written as `5.0`), else nil.
    static func chatID(_ value: JSONValue?) -> Int64? {
        guard let id = value?.integerValue, id > 0 else { return nil }
        return id
    }

    /// Absent or null: no resume. A non-negative integer: replay what came after it.
    static func resume(_ value: JSONValue?) -> Resume {
        guard let value, !value.isNull else { return .none }
        guard let id = value.integerValue, id >= 0 else { return .invalid }
        return .after(id)
    }
}
