import Logging

/// The control event that ends a user's live subscriptions to a chat on every node when the user
/// stops being a member (jwt-api.md §5.5, D-9): `{"type":"member_removed","chat_id":N,"user_id":U}`,
/// published on the chat's own bus channel. WebSocket sessions consume it and never forward it, so
/// any other consumer of the bus must likewise skip event types it does not know.
public enum MemberRemovedEvent {
    public static let type = "member_removed"

    public static func payload(chatID: Int64, userID: Int64) -> String {
        #"{"type":"\#(type)","chat_id":\#(chatID),"user_id":\#(userID)}"#
    }

    /// Announces a completed leave and hands the departure back, so a caller can wrap its
    /// membership change in one expression. A bus failure never undoes the leave: it is logged and
    /// counted, and the leaver's open sockets then keep the chat until they reconnect.
    @discardableResult
    public static func announce(_ departure: ChatDeparture, on bus: any MessageBus, logger: Logger) async -> ChatDeparture {
        do {
            try await bus.publish(chatID: departure.chatID, payload: payload(chatID: departure.chatID, userID: departure.userID))
        } catch {
            GatewayMetrics.shared.redisPublishFailures.increment()
            logger.warning(
                "member_removed not published", metadata: ["chat_id": "\(departure.chatID)", "user_id": "\(departure.userID)"])
        }
        return departure
    }
}
