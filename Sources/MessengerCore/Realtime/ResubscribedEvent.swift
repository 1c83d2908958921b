/// The control event a node's Redis bus hands to the local subscribers of a chat once the chat's
/// channel is subscribed again after a lost connection: `{"type":"resubscribed","chat_id":N}`.
/// Events published meanwhile never reached this node, so a WebSocket session catches up from the
/// stored messages (docs/websocket.md). Never published, never forwarded to clients.
public enum ResubscribedEvent {
    public static let type = "resubscribed"

    public static func payload(chatID: Int64) -> String {
        #"{"type":"\#(type)","chat_id":\#(chatID)}"#
    }
}
