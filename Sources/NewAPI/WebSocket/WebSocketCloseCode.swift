/// The close codes the gateway sends (RFC 6455 §7.4; 4000–4999 are for private use).
enum WebSocketCloseCode: Int, Sendable {
    /// Authentication failed or expired, another user's token, too many frames (jwt-api.md §5).
    case policyViolation = 1008
    /// A client message above `WebSocketLimits.maxMessageBytes`.
    case messageTooLarge = 1009
    /// The socket fell behind its send queue; the client reconnects and resumes with
    /// `last_message_id`.
    case slowConsumer = 4008
}
