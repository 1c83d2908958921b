/// "Someone is typing" (`{"type":"typing","chat_id":N,"user_id":U}`): published on the chat's bus
/// channel for the other subscribers, never stored. Loss is harmless, so a failed publish is
/// dropped silently.
public enum TypingEvent {
    public static let type = "typing"

    public static func payload(chatID: Int64, userID: Int64) -> String {
        #"{"type":"\#(type)","chat_id":\#(chatID),"user_id":\#(userID)}"#
    }
}
