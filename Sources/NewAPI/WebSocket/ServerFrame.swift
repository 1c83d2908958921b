import MessengerCore

/// The server → client messages of jwt-api.md §5.4, as compact JSON with `type` first. Error texts
/// are the contract's, listed once here.
enum ServerFrame {
    enum ErrorText {
        static let invalidJSON = "Invalid JSON"
        static let invalidToken = "Invalid or expired access token"
        static let notAuthenticated = "Not authenticated"
        static let invalidChatID = "Invalid chat_id"
        static let notAMember = "Not a member of this chat"
        static let internalError = "Internal error"
        static let authenticationTimeout = "Authentication timeout"
        static let otherUser = "Already authenticated as another user"
        static let tokenExpired = "Token expired"
        static let messageTooLarge = "Message too large"
        static let tooManyRequests = "Too many requests"
        /// Resume extension (docs/websocket.md).
        static let invalidLastMessageID = "Invalid last_message_id"
        static let tooManyMissedMessages = "Too many missed messages"

        static func unknownType(_ type: String) -> String { "Unknown message type: \(type)" }
    }

    static let pong = #"{"type":"pong"}"#

    static func authOK(userID: Int64) -> String {
        #"{"type":"auth_ok","user_id":\#(userID)}"#
    }

    /// `replayed` only answers a resuming subscribe.
    static func subscribed(chatID: Int64, replayed: Int? = nil) -> String {
        guard let replayed else { return #"{"type":"subscribed","chat_id":\#(chatID)}"# }
        return #"{"type":"subscribed","chat_id":\#(chatID),"replayed":\#(replayed)}"#
    }

    /// `reason` is set when the server ended the subscription itself (`member_removed`).
    static func unsubscribed(chatID: Int64, reason: String? = nil) -> String {
        guard let reason else { return #"{"type":"unsubscribed","chat_id":\#(chatID)}"# }
        return #"{"type":"unsubscribed","chat_id":\#(chatID),"reason":\#(quoted(reason))}"#
    }

    /// `chat_id` names the refused subscription where the error is about one chat's history.
    static func error(_ message: String, chatID: Int64? = nil) -> String {
        guard let chatID else { return #"{"type":"error","message":\#(quoted(message))}"# }
        return #"{"type":"error","message":\#(quoted(message)),"chat_id":\#(chatID)}"#
    }

    /// A JSON string literal; messages can carry client text (`Unknown message type: …`).
    static func quoted(_ text: String) -> String {
        JSONValue.string(text).jsonText()
    }
}
