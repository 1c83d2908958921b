import Foundation
import Logging
import MessengerCore

/// The protocol state of one WebSocket connection (jwt-api.md §5 and the resume extension of
/// docs/websocket.md): who it is authenticated as, which chats it follows, and every reply. The
/// connection feeds it complete client messages and drains `outbound`; nothing here touches the
/// network, and every rule is one method of this actor.
actor WebSocketSession {
    private let authentication: SocketAuthentication
    private let membership: ChatMembership
    private let replay: MessageReplay
    private let bus: any MessageBus
    private let rateLimiter: RateLimiter
    private let presence: PresenceTracker
    private let limits: WebSocketLimits
    private let logger: Logger
    /// Everything sent to the client, in order.
    nonisolated let outbound: OutboundQueue
    /// Bus events on their way into the actor.
    private nonisolated let busEvents: BusEventMailbox

    private var grant: SocketAuthentication.Grant?
    private let authDeadline: ContinuousClock.Instant
    private var subscriptions: [Int64: ChatSubscription] = [:]
    private var lastSubscriptionID: UInt64 = 0
    /// The last `presence` event forwarded per user: a user shares several chats with this socket,
    /// and each chat's channel carries the same event.
    private var lastPresence: [Int64: String] = [:]
    /// This socket counts towards its user's presence until `end`.
    private var isCountedOnline = false
    /// A close is queued (or the connection ended): further client messages are ignored.
    private(set) var isClosing = false

    init(core: CoreServices, limits: WebSocketLimits, logger: Logger) {
        self.authentication = SocketAuthentication(core: core)
        self.membership = ChatMembership(core: core)
        self.replay = MessageReplay(core: core)
        self.bus = core.bus
        self.rateLimiter = core.rateLimiter
        self.presence = core.presence
        self.limits = limits
        self.logger = logger
        self.outbound = OutboundQueue(maxFrames: limits.sendQueueFrames, maxBytes: limits.sendQueueBytes)
        self.busEvents = BusEventMailbox(limit: limits.pendingBusEvents)
        self.authDeadline = .now + limits.authTimeout
    }

    var userID: Int64? { grant?.userID }

    // MARK: client input

    /// The client sent frames beyond its budget (`FrameRateLimiter`, counted by the connection
    /// as they arrive): the socket is closed with `Too many requests`.
    func rejectFrameFlood() {
        close(with: ServerFrame.ErrorText.tooManyRequests, code: .policyViolation)
    }

    /// The socket was just upgraded: over the per-IP connect limit (jwt-api.md §10.2) it is
    /// refused, with the WebSocket error (a refused upgrade could only answer a bare 400);
    /// otherwise a `?token=` given at upgrade is the same as an `auth` message sent first (§5.2).
    func open(clientIP: String, queryToken: String?) async {
        guard await rateLimiter.check(.webSocketConnectPerIP, subject: clientIP) == .allowed else {
            return close(with: ServerFrame.ErrorText.tooManyRequests, code: .policyViolation)
        }
        if let queryToken { await authenticate(token: queryToken) }
    }

    func rejectOversizedMessage() {
        close(with: ServerFrame.ErrorText.messageTooLarge, code: .messageTooLarge)
    }

    /// One complete text message, in the processing order of §5.3.
    func handle(_ text: String) async {
        guard !isClosing else { return }
        let frame = ClientFrame(text: text)
        switch frame {
        case .invalidJSON:
            sendError(ServerFrame.ErrorText.invalidJSON)
            return
        case .auth(let token):
            await authenticate(token: token)
            return
        default:
            break
        }
        guard grant != nil else {
            sendError(ServerFrame.ErrorText.notAuthenticated)
            return
        }
        switch frame {
        case .ping:
            send(ServerFrame.pong)
            if let userID = grant?.userID { await presence.heartbeat(userID: userID) }
        case .subscribe(let chatID, let resume):
            guard let chatID else { return sendError(ServerFrame.ErrorText.invalidChatID) }
            switch resume {
            case .none: await subscribe(to: chatID, after: nil)
            case .after(let lastMessageID): await subscribe(to: chatID, after: lastMessageID)
            case .invalid: sendError(ServerFrame.ErrorText.invalidLastMessageID)
            }
        case .unsubscribe(let chatID):
            guard let chatID else { return sendError(ServerFrame.ErrorText.invalidChatID) }
            dropSubscription(to: chatID)
            send(ServerFrame.unsubscribed(chatID: chatID))
        case .typing(let chatID):
            guard let chatID else { return sendError(ServerFrame.ErrorText.invalidChatID) }
            await announceTyping(in: chatID)
        case .unknown(let type):
            sendError(ServerFrame.ErrorText.unknownType(type))
        case .invalidJSON, .auth:
            break
        }
    }

    // MARK: authentication

    private func authenticate(token: String?) async {
        guard let token, !token.isEmpty else {
            return close(with: ServerFrame.ErrorText.invalidToken, code: .policyViolation)
        }
        let granted: SocketAuthentication.Grant?
        do {
            granted = try await authentication.authenticate(token: token)
        } catch {
            logger.error("websocket authentication failed", metadata: ["error": "\(String(reflecting: error))"])
            return sendError(ServerFrame.ErrorText.internalError)
        }
        guard !isClosing else { return }
        guard let granted else {
            return close(with: ServerFrame.ErrorText.invalidToken, code: .policyViolation)
        }
        if let current = grant, current.userID != granted.userID {
            // Ref switched identities and kept the subscriptions (D-9).
            return close(with: ServerFrame.ErrorText.otherUser, code: .policyViolation)
        }
        // The same user again: the new token's expiry now applies (§5.2 re-authentication).
        let isFirst = grant == nil
        grant = granted
        send(ServerFrame.authOK(userID: granted.userID))
        if isFirst {
            isCountedOnline = true
            await presence.socketOpened(userID: granted.userID)
        }
    }

    /// When the connection must be authenticated, or its token ends; nil once closing.
    func nextDeadline() -> ContinuousClock.Instant? {
        guard !isClosing else { return nil }
        guard let grant else { return authDeadline }
        return .now + .milliseconds(Int64((grant.expiresAt.timeIntervalSinceNow * 1000).rounded(.up)))
    }

    /// Closes the connection when its deadline has passed; true when it did.
    func enforceDeadline() -> Bool {
        guard !isClosing else { return true }
        if let grant {
            guard Date() >= grant.expiresAt else { return false }
            close(with: ServerFrame.ErrorText.tokenExpired, code: .policyViolation)
        } else {
            guard ContinuousClock.now >= authDeadline else { return false }
            close(with: ServerFrame.ErrorText.authenticationTimeout, code: .policyViolation)
        }
        return true
    }

    // MARK: subscriptions

    /// Subscribes to the bus first, then checks membership and, when resuming, replays what was
    /// stored after `lastMessageID`; events that arrive meanwhile are held and sent after the
    /// replay, minus the ids it already sent. `subscribed` goes out only once the bus subscription
    /// is active (D-10) and ends the replay.
    private func subscribe(to chatID: Int64, after lastMessageID: Int64?) async {
        guard let userID = grant?.userID else { return }
        if lastMessageID == nil, subscriptions[chatID] != nil {
            return send(ServerFrame.subscribed(chatID: chatID))
        }
        // A resume replaces an existing subscription: the replay covers the switch-over.
        dropSubscription(to: chatID)
        lastSubscriptionID += 1
        let id = lastSubscriptionID
        // In place before the bus subscription exists, so the events it delivers while this
        // waits for Redis's confirmation are held like the later ones.
        subscriptions[chatID] = ChatSubscription(id: id)
        let registration: BusSubscription
        do {
            registration = try await bus.subscribe(chatID: chatID) { [weak self] payload in
                self?.receive(payload, chatID: chatID, subscriptionID: id)
            }
        } catch {
            // Redis is down: nothing is subscribed; the client retries (or resumes) later.
            dropSubscription(to: chatID, id: id)
            logger.warning("websocket bus subscription failed", metadata: ["chat_id": "\(chatID)", "error": "\(error)"])
            return sendError(ServerFrame.ErrorText.internalError)
        }
        guard !isClosing else { return registration.cancel() }
        guard isCurrent(id, chatID) else {
            // The user left the chat meanwhile (`member_removed`).
            registration.cancel()
            return sendError(ServerFrame.ErrorText.notAMember)
        }
        subscriptions[chatID]?.bus = registration

        do {
            guard try await membership.role(of: userID, in: chatID) != nil, isCurrent(id, chatID) else {
                dropSubscription(to: chatID, id: id)
                return sendError(ServerFrame.ErrorText.notAMember)
            }
        } catch {
            dropSubscription(to: chatID, id: id)
            logger.error("websocket membership check failed", metadata: ["error": "\(String(reflecting: error))"])
            return sendError(ServerFrame.ErrorText.internalError)
        }

        var replayed: Int?
        if let lastMessageID {
            guard let count = await replayMissed(in: chatID, after: lastMessageID, subscriptionID: id) else { return }
            replayed = count
        } else {
            // What the subscription covers from the start, should the bus later need a catch-up.
            do {
                let newest = try await replay.newestMessageID(in: chatID)
                guard isCurrent(id, chatID) else { return sendError(ServerFrame.ErrorText.notAMember) }
                subscriptions[chatID]?.delivered.cover(upTo: newest)
            } catch {
                dropSubscription(to: chatID, id: id)
                logger.error("websocket subscribe failed", metadata: ["error": "\(String(reflecting: error))"])
                return sendError(ServerFrame.ErrorText.internalError)
            }
        }
        guard isCurrent(id, chatID) else { return }
        send(ServerFrame.subscribed(chatID: chatID, replayed: replayed))
        releaseHeld(chatID)
    }

    /// Sends the events held while a subscription was not live, minus the ids already sent, and
    /// makes it live. Nothing here suspends, so no live event can slip between the held ones.
    private func releaseHeld(_ chatID: Int64) {
        guard let subscription = subscriptions[chatID] else { return }
        subscriptions[chatID]?.held = nil
        subscriptions[chatID]?.isCatchingUp = false
        for payload in subscription.held ?? [] {
            forward(payload, header: BusEventHeader(payload: payload), chatID: chatID)
        }
        if subscriptions[chatID]?.needsCatchUp == true {
            subscriptions[chatID]?.needsCatchUp = false
            startCatchUp(chatID, subscriptionID: subscription.id)
        }
    }

    /// The bus remade its Redis subscription of the chat after a lost connection: events
    /// published meanwhile never arrived. Live events are held again while the stored messages
    /// after the subscription's last one are sent, as in a resume; then the held ones follow.
    private func startCatchUp(_ chatID: Int64, subscriptionID id: UInt64) {
        guard isCurrent(id, chatID), subscriptions[chatID]?.isLive == true else { return }
        subscriptions[chatID]?.held = []
        subscriptions[chatID]?.isCatchingUp = true
        Task { await self.catchUp(chatID, subscriptionID: id) }
    }

    private func catchUp(_ chatID: Int64, subscriptionID id: UInt64) async {
        guard let delivered = subscriptions[chatID]?.delivered, isCurrent(id, chatID) else { return }
        let missed: [StoredMessage]
        do {
            missed = try await replay.messages(in: chatID, after: delivered.floor, limit: limits.replayLimit + DeliveredMessages.windowSize + 1)
                .filter { !delivered.contains($0.id) }
        } catch {
            // Without the stored messages the subscription would have a gap: it ends, and the
            // client resumes from its last message id.
            guard isCurrent(id, chatID) else { return }
            dropSubscription(to: chatID, id: id)
            logger.error("websocket catch-up failed", metadata: ["error": "\(String(reflecting: error))"])
            return sendError(ServerFrame.ErrorText.internalError, chatID: chatID)
        }
        guard isCurrent(id, chatID) else { return }
        guard missed.count <= limits.replayLimit else {
            // Too far behind to catch up here: the client pages over HTTP and resumes (as §4).
            dropSubscription(to: chatID, id: id)
            return sendError(ServerFrame.ErrorText.tooManyMissedMessages, chatID: chatID)
        }
        subscriptions[chatID]?.replayedIDs.formUnion(missed.map(\.id))
        for message in missed {
            guard await outbound.offerWhenRoom(MessageEvent.payload(for: message)) else { return }
            guard isCurrent(id, chatID) else { return }
            subscriptions[chatID]?.delivered.insert(message.id)
        }
        RealtimeMetrics.shared.caughtUpMessages.increment(by: Int64(missed.count))
        releaseHeld(chatID)
    }

    /// Sends the stored messages after `lastMessageID` as ordinary `message` events; the count, or
    /// nil when the subscription ended instead (the reply is then already sent).
    private func replayMissed(in chatID: Int64, after lastMessageID: Int64, subscriptionID id: UInt64) async -> Int? {
        let missed: [StoredMessage]
        do {
            missed = try await replay.messages(in: chatID, after: lastMessageID, limit: limits.replayLimit + 1)
        } catch {
            dropSubscription(to: chatID, id: id)
            logger.error("websocket replay failed", metadata: ["error": "\(String(reflecting: error))"])
            sendError(ServerFrame.ErrorText.internalError)
            return nil
        }
        guard isCurrent(id, chatID) else {
            sendError(ServerFrame.ErrorText.notAMember)
            return nil
        }
        guard missed.count <= limits.replayLimit else {
            // Partial replay then live would leave a gap: the client pages over HTTP and resumes.
            dropSubscription(to: chatID, id: id)
            sendError(ServerFrame.ErrorText.tooManyMissedMessages, chatID: chatID)
            return nil
        }
        subscriptions[chatID]?.replayedIDs = Set(missed.map(\.id))
        subscriptions[chatID]?.delivered.cover(upTo: max(lastMessageID, missed.last?.id ?? 0))
        for message in missed {
            // Waits for room: the replay goes at the socket's pace, live events stay held.
            guard await outbound.offerWhenRoom(MessageEvent.payload(for: message)) else { return nil }
        }
        guard isCurrent(id, chatID) else {
            sendError(ServerFrame.ErrorText.notAMember)
            return nil
        }
        RealtimeMetrics.shared.replayedMessages.increment(by: Int64(missed.count))
        return missed.count
    }

    /// One event from a chat's bus channel, on the bus's delivery path: queued, and handed to the
    /// actor in arrival order by one short-lived task at a time (`BusEventMailbox`). A session
    /// whose events pile up past the limit is a slow consumer.
    nonisolated private func receive(_ payload: String, chatID: Int64, subscriptionID id: UInt64) {
        switch busEvents.post(.init(payload: payload, chatID: chatID, subscriptionID: id)) {
        case .queued:
            return
        case .startDrain:
            Task { await self.drainBusEvents() }
        case .overflow:
            outbound.overflow()
        }
    }

    private func drainBusEvents() {
        // Nothing here suspends: the events of a batch, and the batches, keep their order.
        while let batch = busEvents.takeAll() {
            for event in batch {
                deliver(event.payload, chatID: event.chatID, subscriptionID: event.subscriptionID)
            }
        }
    }

    private func deliver(_ payload: String, chatID: Int64, subscriptionID id: UInt64) {
        guard !isClosing, let subscription = subscriptions[chatID], subscription.id == id else { return }
        let header = BusEventHeader(payload: payload)
        switch header.type {
        case MemberRemovedEvent.type:
            guard header.userID != nil, header.userID == grant?.userID else { return }
            dropSubscription(to: chatID, id: id)
            // A pending subscribe answers `Not a member` itself; a live one (or one catching up
            // after a Redis outage) is told it ended.
            if subscription.isLive || subscription.isCatchingUp {
                send(ServerFrame.unsubscribed(chatID: chatID, reason: MemberRemovedEvent.type))
            }
            return
        case TypingEvent.type where header.userID == grant?.userID:
            return
        case PresenceEvent.type:
            // Never the socket's own user; once per change although it comes on every shared chat.
            guard let userID = header.userID, userID != grant?.userID, lastPresence[userID] != payload else { return }
            lastPresence[userID] = payload
            return send(payload)
        case ResubscribedEvent.type:
            if subscription.isLive {
                startCatchUp(chatID, subscriptionID: id)
            } else {
                subscriptions[chatID]?.needsCatchUp = true
            }
            return
        default:
            break
        }
        guard subscription.isLive else {
            guard (subscription.held?.count ?? 0) < limits.sendQueueFrames else {
                logger.info("websocket closed as slow consumer while subscribing", metadata: ["chat_id": "\(chatID)"])
                return outbound.overflow()
            }
            subscriptions[chatID]?.held?.append(payload)
            return
        }
        forward(payload, header: header, chatID: chatID)
    }

    private func forward(_ payload: String, header: BusEventHeader, chatID: Int64) {
        if header.type == "message", let id = header.id {
            guard let subscription = subscriptions[chatID], !subscription.replayedIDs.contains(id) else { return }
            subscriptions[chatID]?.delivered.insert(id)
        }
        send(payload)
    }

    private func isCurrent(_ id: UInt64, _ chatID: Int64) -> Bool {
        !isClosing && subscriptions[chatID]?.id == id
    }

    /// Ends the subscription to `chatID` (only the one numbered `id`, when given).
    private func dropSubscription(to chatID: Int64, id: UInt64? = nil) {
        guard let subscription = subscriptions[chatID], id == nil || subscription.id == id else { return }
        subscription.bus?.cancel()
        subscriptions[chatID] = nil
    }

    // MARK: typing

    /// `typing` is relayed to the chat's other subscribers, not stored, and rate-limited per user.
    private func announceTyping(in chatID: Int64) async {
        guard let userID = grant?.userID else { return }
        if subscriptions[chatID]?.isLive != true {
            do {
                guard try await membership.role(of: userID, in: chatID) != nil else {
                    return sendError(ServerFrame.ErrorText.notAMember)
                }
            } catch {
                return sendError(ServerFrame.ErrorText.internalError)
            }
        }
        if case .limited = await rateLimiter.check(.typingPerUser, subject: String(userID)) {
            return sendError(ServerFrame.ErrorText.tooManyRequests)
        }
        try? await bus.publish(chatID: chatID, payload: TypingEvent.payload(chatID: chatID, userID: userID))
    }

    // MARK: output

    private func send(_ text: String) {
        if outbound.offer(text) == .overflow {
            logger.info("websocket closed as slow consumer", metadata: ["user_id": "\(grant?.userID ?? 0)"])
        }
    }

    private func sendError(_ message: String, chatID: Int64? = nil) {
        send(ServerFrame.error(message, chatID: chatID))
    }

    /// Sends the error, then a close frame with `code`; nothing after it.
    private func close(with message: String, code: WebSocketCloseCode) {
        guard !isClosing else { return }
        sendError(message)
        isClosing = true
        outbound.close(code, reason: message)
    }

    /// The connection is over: every bus subscription ends, the queue wakes its waiters, and the
    /// socket stops counting towards its user's presence.
    func end() async {
        isClosing = true
        for subscription in subscriptions.values {
            subscription.bus?.cancel()
        }
        subscriptions = [:]
        outbound.finish()
        if isCountedOnline, let userID = grant?.userID {
            isCountedOnline = false
            await presence.socketClosed(userID: userID)
        }
    }
}
