import Foundation
import Logging
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// The bus of a multi-node gateway (jwt-api.md §5.6, D-10). Publishing is `PUBLISH chat:{id}` on
/// the shared `RedisClient` pool. Receiving uses ONE pub/sub connection per node, owned by a
/// dedicated thread (hiredis blocks; never an event-loop thread) that SUBSCRIBEs a chat's channel
/// when its first local subscriber arrives and UNSUBSCRIBEs when the last one leaves
/// (`ChannelSubscriptions`). `subscribe` returns once Redis has confirmed the channel, which the
/// lossless resume relies on.
///
/// A Redis outage never stops the process: the thread reconnects with backoff, resubscribes every
/// channel that still has local subscribers, and hands those subscribers a `resubscribed` event
/// so they can catch up on what they missed. While it is down, `subscribe` fails (after waiting
/// `connectionWait` for a reconnection) and `publish` throws (the caller counts it). Runs as a
/// Service; graceful shutdown or cancellation stops the thread.
public final class RedisMessageBus: MessageBus, Service {
    private typealias Table = ChannelSubscriptions<@Sendable (String) -> Void, CheckedContinuation<Void, any Error>>

    private let publisher: RedisClient
    private let settings: RedisSettings
    private let logger: Logger
    private let table = Mutex(Table())
    private let nextSubscriberID = Atomic<UInt64>(0)
    private let isStopping = Atomic<Bool>(false)
    private let wakeup: WakeupPipe
    private let thread = NIOThreadPool(numberOfThreads: 1)

    /// Without any input for this long the thread sends PING; without an answer for as long again
    /// the connection counts as dead (a silent network failure never reports itself).
    static let idlePing: Duration = .seconds(5)
    static let maximumBackoff: Duration = .seconds(5)
    static let initialBackoff: Duration = .milliseconds(100)
    /// How long `subscribe` waits for a connection that is down before it gives up.
    static let connectionWait: Duration = .seconds(2)

    /// Created once per process: the registry refuses a family twice.
    static let subscriberUp = GatewayMetrics.shared.registry.makeGauge(
        descriptor: .family("messenger_redis_subscriber_up", "1 while this node's Redis pub/sub connection is up, else 0"))

    public init(publisher: RedisClient, logger: Logger) throws {
        self.publisher = publisher
        self.settings = publisher.settings
        self.logger = logger
        self.wakeup = try WakeupPipe()
        Self.subscriberUp.set(to: 0)
    }

    // MARK: MessageBus

    public func publish(chatID: Int64, payload: String) async throws {
        _ = try await publisher.command(["PUBLISH", BusChannel.name(chatID), BusTimestamp.stamp(payload)])
    }

    public func subscribe(chatID: Int64, deliver: @escaping @Sendable (String) -> Void) async throws -> BusSubscription {
        let id = nextSubscriberID.add(1, ordering: .relaxed).newValue
        let subscription = BusSubscription { [weak self] in
            self?.removeSubscriber(id, from: chatID)
        }
        // A connection being (re)made is waited for briefly: right after startup, or a Redis
        // failover, a subscribe should not fail for a gap of milliseconds.
        let deadline = ContinuousClock.now + Self.connectionWait
        while true {
            do {
                try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Void, any Error>) in
                    switch table.withLock({ $0.add(chatID, id: id, subscriber: deliver, waiter: waiter) }) {
                    case .active:
                        waiter.resume()
                    case .waiting:
                        wakeup.wake()
                    case .unavailable:
                        waiter.resume(throwing: Unavailable())
                    }
                }
                return subscription
            } catch is Unavailable where ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(100))
            } catch {
                subscription.cancel()
                throw error is Unavailable ? RedisError("the pub/sub connection is down") : error
            }
        }
    }

    private struct Unavailable: Error {}

    private func removeSubscriber(_ id: UInt64, from chatID: Int64) {
        let orphan = table.withLock { $0.remove(chatID, id: id) }
        orphan?.resume(throwing: CancellationError())
        wakeup.wake()
    }

    /// Chats with at least one subscriber on this node.
    public var subscribedChatCount: Int { table.withLock { $0.channelCount } }

    /// This node's subscribers of one chat.
    func subscriberCount(of chatID: Int64) -> Int {
        table.withLock { $0.subscribers(of: chatID).count }
    }

    // MARK: Service

    /// Until graceful shutdown (or cancellation) stops the subscriber thread.
    public func run() async throws {
        thread.start()
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await thread.runIfActive { [self] in
                    runConnections()
                }
            } onGracefulShutdown: { [self] in
                stop()
            }
        } onCancel: { [self] in
            stop()
        }
        try await thread.shutdownGracefully()
    }

    private func stop() {
        isStopping.store(true, ordering: .relaxed)
        wakeup.wake()
    }

    /// The thread's whole life: connect, serve, and after a failure reconnect with backoff.
    private func runConnections() {
        var backoff = Self.initialBackoff
        var lastProblem: String?
        while !isStopping.load(ordering: .relaxed) {
            let connection: RedisConnection
            do {
                connection = try RedisConnection(settings: settings, timeout: .seconds(2))
            } catch {
                let problem = "\(error)"
                if problem != lastProblem {
                    logger.warning("redis pub/sub connection failed; retrying with backoff", metadata: ["error": "\(problem)"])
                    lastProblem = problem
                }
                wakeup.wait(backoff)
                backoff = min(backoff * 2, Self.maximumBackoff)
                continue
            }
            backoff = Self.initialBackoff
            lastProblem = nil
            let channels = table.withLock { table in
                table.connected()
                return table.channelCount
            }
            Self.subscriberUp.set(to: 1)
            logger.info("redis pub/sub connected", metadata: ["resubscribing": "\(channels)"])
            do {
                try serve(connection)
            } catch {
                logger.warning("redis pub/sub connection lost", metadata: ["error": "\(error)"])
            }
            let failed = table.withLock { $0.disconnected() }
            Self.subscriberUp.set(to: 0)
            for waiter in failed {
                waiter.resume(throwing: RedisError("the pub/sub connection was lost"))
            }
        }
        // Stopped: subscribers' streams end with the process; nothing waits on a dead connection.
        let failed = table.withLock { $0.disconnected() }
        for waiter in failed {
            waiter.resume(throwing: CancellationError())
        }
    }

    /// Reads events and sends queued commands until the connection fails or the bus stops.
    private func serve(_ connection: RedisConnection) throws {
        var lastInput = ContinuousClock.now
        var pingSent: ContinuousClock.Instant?
        try flushOutbox(to: connection)
        while !isStopping.load(ordering: .relaxed) {
            var descriptors = [
                pollfd(fd: connection.fileDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wakeup.readDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, 1000)
            if ready < 0 && errno != EINTR {
                throw RedisError("poll failed: errno \(errno)")
            }
            if descriptors[1].revents != 0 {
                wakeup.drain()
            }
            try flushOutbox(to: connection)
            if descriptors[0].revents != 0 {
                for reply in try connection.readAvailableReplies() {
                    handle(reply)
                }
                lastInput = .now
                pingSent = nil
            }
            if let pingSent {
                if ContinuousClock.now - pingSent > Self.idlePing { throw RedisError("no answer to PING") }
            } else if ContinuousClock.now - lastInput > Self.idlePing {
                try connection.send(["PING"])
                pingSent = .now
            }
        }
    }

    private func flushOutbox(to connection: RedisConnection) throws {
        for command in table.withLock({ $0.takeOutbox() }) {
            try connection.send(command.arguments)
        }
    }

    /// One pushed reply: `message`, or the confirmation of a (re)subscription.
    private func handle(_ reply: RedisReply) {
        guard case .array(let parts) = reply, parts.count >= 2, let kind = parts[0].string else { return }
        switch kind {
        case "message":
            guard parts.count == 3, let channel = parts[1].string, let chatID = BusChannel.chatID(channel),
                  let text = parts[2].string
            else { return }
            deliver(text, to: chatID)
        case "subscribe":
            guard let channel = parts[1].string, let chatID = BusChannel.chatID(channel) else { return }
            let (waiters, resubscribed) = table.withLock { $0.confirm(chatID) }
            for waiter in waiters {
                waiter.resume()
            }
            let event = ResubscribedEvent.payload(chatID: chatID)
            for subscriber in resubscribed {
                subscriber(event)
            }
        default:
            // unsubscribe confirmations and PING answers carry nothing to act on.
            break
        }
    }

    /// Hands one event to the chat's local subscribers; the lock is held only to copy the list.
    private func deliver(_ text: String, to chatID: Int64) {
        let (payload, publishedAt) = BusTimestamp.unstamp(text)
        if let publishedAt {
            let lag = max(0, Date().timeIntervalSince(publishedAt))
            RealtimeMetrics.shared.busDeliveryLag.record(.microseconds(Int64(lag * 1_000_000)))
        }
        for subscriber in table.withLock({ $0.subscribers(of: chatID) }) {
            subscriber(payload)
        }
    }
}
