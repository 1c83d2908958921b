import Foundation
import MessengerCore
import NIOCore
import NIOWebSocket
import Synchronization
import Testing

@testable import NewAPI

/// The pure parts of the WebSocket protocol: parsing client frames, the reply shapes, the frame
/// budget, message assembly and the bounded send queue. The session as a whole runs against the
/// real gateway in EndToEndTests/WebSocketTests.
@Suite("WebSocket protocol pieces (in-process)", .timeLimit(.minutes(1)))
struct WebSocketProtocolTests {
    @Test("client frames parse in the §5.3 order, wrong types become nil")
    func clientFrames() {
        #expect(ClientFrame(text: "{") == .invalidJSON)
        #expect(ClientFrame(text: "null") == .invalidJSON)
        #expect(ClientFrame(text: "[]") == .invalidJSON)
        #expect(ClientFrame(text: "\"auth\"") == .invalidJSON)
        #expect(ClientFrame(text: "{}") == .unknown(type: ""))
        #expect(ClientFrame(text: #"{"type":["ping"]}"#) == .unknown(type: ""))
        #expect(ClientFrame(text: #"{"type":"PING"}"#) == .unknown(type: "PING"))
        #expect(ClientFrame(text: #"{"type":"ping","extra":1}"#) == .ping)
        #expect(ClientFrame(text: #"{"type":"auth","token":"t"}"#) == .auth(token: "t"))
        #expect(ClientFrame(text: #"{"type":"auth","token":7}"#) == .auth(token: nil))
        #expect(ClientFrame(text: #"{"type":"auth"}"#) == .auth(token: nil))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":42}"#) == .subscribe(chatID: 42, resume: .none))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":42.0}"#) == .subscribe(chatID: 42, resume: .none))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":"42"}"#) == .subscribe(chatID: nil, resume: .none))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":0}"#) == .subscribe(chatID: nil, resume: .none))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":false}"#) == .subscribe(chatID: nil, resume: .none))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":1,"last_message_id":0}"#) == .subscribe(chatID: 1, resume: .after(0)))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":1,"last_message_id":null}"#) == .subscribe(chatID: 1, resume: .none))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":1,"last_message_id":"9"}"#) == .subscribe(chatID: 1, resume: .invalid))
        #expect(ClientFrame(text: #"{"type":"subscribe","chat_id":1,"last_message_id":-1}"#) == .subscribe(chatID: 1, resume: .invalid))
        #expect(ClientFrame(text: #"{"type":"unsubscribe","chat_id":3}"#) == .unsubscribe(chatID: 3))
        #expect(ClientFrame(text: #"{"type":"typing","chat_id":3}"#) == .typing(chatID: 3))
    }

    @Test("replies are compact JSON with type first; client text is escaped")
    func serverFrames() {
        #expect(ServerFrame.authOK(userID: 7) == #"{"type":"auth_ok","user_id":7}"#)
        #expect(ServerFrame.subscribed(chatID: 42) == #"{"type":"subscribed","chat_id":42}"#)
        #expect(ServerFrame.subscribed(chatID: 42, replayed: 3) == #"{"type":"subscribed","chat_id":42,"replayed":3}"#)
        #expect(ServerFrame.unsubscribed(chatID: 5) == #"{"type":"unsubscribed","chat_id":5}"#)
        #expect(ServerFrame.unsubscribed(chatID: 5, reason: "member_removed")
            == #"{"type":"unsubscribed","chat_id":5,"reason":"member_removed"}"#)
        #expect(ServerFrame.error("Invalid JSON") == #"{"type":"error","message":"Invalid JSON"}"#)
        let echoed = ServerFrame.error(ServerFrame.ErrorText.unknownType("a\"b\n/"))
        #expect(echoed == #"{"type":"error","message":"Unknown message type: a\"b\n/"}"#)
        #expect(ServerFrame.error("Too many missed messages", chatID: 4)
            == #"{"type":"error","message":"Too many missed messages","chat_id":4}"#)
    }

    @Test("bus event headers: routing fields only, malformed events are forwarded as they came")
    func busEventHeaders() {
        #expect(BusEventHeader(payload: MemberRemovedEvent.payload(chatID: 3, userID: 9))
            == BusEventHeader(type: "member_removed", id: nil, userID: 9))
        #expect(BusEventHeader(payload: TypingEvent.payload(chatID: 3, userID: 9)) == BusEventHeader(type: "typing", id: nil, userID: 9))
        #expect(BusEventHeader(payload: #"{"type":"message","id":12,"chat_id":3}"#) == BusEventHeader(type: "message", id: 12, userID: nil))
        #expect(BusEventHeader(payload: #"{"type":1,"id":"x"}"#) == BusEventHeader(type: nil, id: nil, userID: nil))
        #expect(BusEventHeader(payload: "not json") == BusEventHeader(type: nil, id: nil, userID: nil))
    }

    @Test("delivered ids: everything up to the floor, the window above it, the lowest evicted into the floor")
    func deliveredMessages() {
        var delivered = DeliveredMessages()
        delivered.cover(upTo: 100)
        #expect(delivered.contains(100) && delivered.contains(7) && !delivered.contains(101))
        // Sent out of order: 103 before 102; 102 is not covered until it is sent.
        delivered.insert(103)
        #expect(delivered.floor == 100 && delivered.contains(103) && !delivered.contains(102))
        delivered.insert(102)
        #expect(delivered.contains(102))
        for id in Int64(104)..<Int64(104 + DeliveredMessages.windowSize - 2) { delivered.insert(id) }
        #expect(delivered.floor == 100, "the window is full, not over")
        delivered.insert(500)
        #expect(delivered.floor == 102, "the lowest id left the window and became the floor")
        #expect(delivered.contains(101), "below the floor counts as covered")
        #expect(delivered.contains(103) && delivered.contains(500) && !delivered.contains(499))
        delivered.cover(upTo: 600)
        #expect(delivered.contains(599) && !delivered.contains(601))
    }

    @Test("the frame budget passes a burst, refuses a sustained excess, and refills")
    func frameBudget() {
        let start = ContinuousClock.now
        var budget = FrameRateLimiter(rate: 20, burst: 40, now: start)
        var decisions: [Bool] = []
        for _ in 0..<41 { decisions.append(budget.admit(now: start)) }
        #expect(decisions == Array(repeating: true, count: 40) + [false])
        // 50 ms at 20/s buys exactly one more frame.
        let afterRefill = [budget.admit(now: start + .milliseconds(60)), budget.admit(now: start + .milliseconds(60))]
        #expect(afterRefill == [true, false])
        // 20 per second, sustained, stays within budget.
        var now = start + .seconds(5)
        var sustained: [Bool] = []
        for _ in 0..<100 {
            sustained.append(budget.admit(now: now))
            now += .milliseconds(50)
        }
        #expect(sustained.allSatisfy { $0 })
    }

    @Test("messages are assembled across fragments and limited as a whole")
    func assembly() {
        var assembler = InboundMessageAssembler(maxBytes: 10)
        let steps: [(WebSocketOpcode, String, Bool, InboundMessageAssembler.Outcome)] = [
            (.text, "hello", true, .text("hello")),
            (.binary, "bin", true, .binary),
            (.text, "he", false, .incomplete),
            (.continuation, "ll", false, .incomplete),
            (.continuation, "o", true, .text("hello")),
            (.text, "0123456789x", true, .tooLarge),
            (.text, "012345", false, .incomplete),
            (.continuation, "6789x", true, .tooLarge),
            // A stray continuation is dropped; the next message stands on its own.
            (.continuation, "zz", true, .incomplete),
            (.text, "ok", true, .text("ok")),
        ]
        for (opcode, text, fin, expected) in steps {
            let outcome = assembler.append(opcode, ByteBuffer(string: text), fin: fin)
            #expect(outcome == expected, "\(opcode) \(text)")
        }
    }

    @Test("the send queue keeps order, puts the close last, and overflows once")
    func queueOrderAndOverflow() {
        let queue = OutboundQueue(maxFrames: 3, maxBytes: 1 << 20)
        #expect(queue.offer("a") == .queued)
        #expect(queue.offer("b") == .queued)
        #expect(queue.poll() == .item(.text("a")))
        queue.close(.policyViolation, reason: "bye")
        #expect(queue.offer("late") == .refused)
        #expect(queue.poll() == .item(.text("b")))
        #expect(queue.poll() == .item(.close(.policyViolation, reason: "bye")))

        let full = OutboundQueue(maxFrames: 2, maxBytes: 1 << 20)
        #expect(full.offer("1") == .queued)
        #expect(full.offer("2") == .queued)
        #expect(!full.didOverflow)
        #expect(full.offer("3") == .overflow)
        #expect(full.didOverflow)
        #expect(full.offer("4") == .refused)
        #expect(full.poll() == .finished)
        let reported = Mutex<Bool?>(nil)
        full.onFinish { overflowed in reported.withLock { $0 = overflowed } }
        #expect(reported.withLock { $0 } == true)

        let bytes = OutboundQueue(maxFrames: 100, maxBytes: 4)
        #expect(bytes.offer("abc") == .queued)
        #expect(bytes.offer("de") == .overflow)
    }

    @Test("a replay waits for room instead of overflowing; finishing wakes every waiter")
    func queueWaitsForRoom() async {
        let queue = OutboundQueue(maxFrames: 1, maxBytes: 1 << 20)
        #expect(queue.offer("live") == .queued)
        let replay = Task { await queue.offerWhenRoom("replayed") }
        #expect(queue.poll() == .item(.text("live")))
        #expect(await replay.value)
        #expect(queue.poll() == .item(.text("replayed")))
        #expect(!queue.didOverflow)

        #expect(queue.offer("x") == .queued)
        let blocked = Task { await queue.offerWhenRoom("never") }
        let reported = Mutex<Bool?>(nil)
        queue.onFinish { overflowed in reported.withLock { $0 = overflowed } }
        queue.finish()
        #expect(await blocked.value == false)
        #expect(reported.withLock { $0 } == false)
        #expect(queue.poll() == .finished)
    }

    @Test("cancelling a waiting replay ends the wait")
    func queueCancellation() async {
        let queue = OutboundQueue(maxFrames: 1, maxBytes: 1 << 20)
        #expect(queue.offer("x") == .queued)
        let replay = Task { await queue.offerWhenRoom("y") }
        replay.cancel()
        #expect(await replay.value == false)
    }

    @Test("the consumer is woken once per empty poll: by the next item, the close, or the end")
    func queueWakesItsConsumer() {
        let queue = OutboundQueue(maxFrames: 8, maxBytes: 1 << 20)
        let wakes = Mutex(0)
        queue.setConsumer { wakes.withLock { $0 += 1 } }
        #expect(queue.offer("a") == .queued)
        #expect(wakes.withLock { $0 } == 0, "nobody waited yet")
        #expect(queue.poll() == .item(.text("a")))
        #expect(queue.poll() == .empty)
        #expect(queue.offer("b") == .queued)
        #expect(queue.offer("c") == .queued)
        #expect(wakes.withLock { $0 } == 1)
        #expect(queue.poll() == .item(.text("b")))
        #expect(queue.poll() == .item(.text("c")))
        #expect(queue.poll() == .empty)
        queue.close(.policyViolation, reason: "bye")
        #expect(wakes.withLock { $0 } == 2)
        #expect(queue.poll() == .item(.close(.policyViolation, reason: "bye")))
        #expect(queue.poll() == .empty)
        queue.finish()
        #expect(wakes.withLock { $0 } == 3)
        #expect(queue.poll() == .finished)
    }

    @Test("bus events reach the session in arrival order: one drain per burst, a bounded backlog")
    func busEventMailbox() {
        let mailbox = BusEventMailbox(limit: 3)
        let event = { (n: Int) in BusEventMailbox.Event(payload: "\(n)", chatID: 1, subscriptionID: 1) }
        #expect(mailbox.post(event(1)) == .startDrain)
        #expect(mailbox.post(event(2)) == .queued)
        #expect(mailbox.takeAll()?.map(\.payload) == ["1", "2"])
        #expect(mailbox.post(event(3)) == .queued, "the drain is still running")
        #expect(mailbox.takeAll()?.map(\.payload) == ["3"])
        #expect(mailbox.takeAll() == nil)
        #expect(mailbox.post(event(4)) == .startDrain, "the drain ended on the empty mailbox")
        #expect(mailbox.post(event(5)) == .queued)
        #expect(mailbox.post(event(6)) == .queued)
        #expect(mailbox.post(event(7)) == .overflow)
        #expect(mailbox.takeAll()?.map(\.payload) == ["4", "5", "6"])
    }

    @Test("the in-process bus calls each subscriber in publish order until it cancels")
    func busCallbacks() async throws {
        let bus = InProcessMessageBus()
        let received = Mutex<[String]>([])
        let subscription = await bus.subscribe(chatID: 7) { payload in received.withLock { $0.append(payload) } }
        try await bus.publish(chatID: 7, payload: "a")
        try await bus.publish(chatID: 8, payload: "other chat")
        try await bus.publish(chatID: 7, payload: "b")
        subscription.cancel()
        subscription.cancel()
        try await bus.publish(chatID: 7, payload: "after cancel")
        #expect(received.withLock { $0 } == ["a", "b"])
        #expect(bus.subscribedChatCount == 0)
    }
}
