import MessengerCore

/// The limits one WebSocket connection lives under (jwt-api.md §5.2, §5.7, D-32, and the resume
/// extension of docs/websocket.md). Values, not configuration: only the auth timeout is a
/// documented variable (`WS_AUTH_TIMEOUT_S`), and `CoreServices` does not carry it yet.
public struct WebSocketLimits: Sendable {
    /// A client message (all fragments together) above this is refused with 1009.
    public var maxMessageBytes = 64 << 10
    /// Sustained client frames per second; above it the socket is closed with 1008.
    public var framesPerSecond = 20.0
    /// Frames a client may send at once before the sustained rate applies.
    public var frameBurst = 40.0
    /// Frames and bytes waiting for a socket before it counts as a slow consumer (4008). Replayed
    /// messages wait for room instead; live events never wait, so one slow socket delays nobody.
    public var sendQueueFrames = 512
    public var sendQueueBytes = 4 << 20
    /// Bus events waiting to reach a busy session before the socket counts as a slow consumer
    /// (the bound the bus's per-subscriber stream buffer had).
    public var pendingBusEvents = 1024
    /// Without a successful `auth` by then: `Authentication timeout`, 1008.
    public var authTimeout: Duration = .seconds(10)
    /// How long a slow consumer's 4008 close frame may wait for the socket to drain before the
    /// connection is dropped without it.
    public var slowConsumerCloseGrace: Duration = .seconds(10)
    /// How long the server waits for the client's answer to its close frame before it drops
    /// the connection.
    public var closeHandshakeGrace: Duration = .seconds(5)
    /// Stored messages one resuming `subscribe` may replay.
    public var replayLimit = MessageReplay.limit
    /// Outgoing messages above this are sent as fragments, so clients with the common 16 KiB
    /// frame limit still read every event.
    public var outboundFragmentBytes = 16 << 10

    public init() {}
}
