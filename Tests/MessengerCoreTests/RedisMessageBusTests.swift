import Foundation
import Logging
@testable import MessengerCore
import Testing
import TestSupport

/// `RedisMessageBus` against the real Redis of scripts/services.sh: one channel subscription per
/// chat however many local subscribers, dropped with the last one, and delivery of exactly the
/// published payload. Chat ids are random, so parallel tests never share a channel.
@Suite("Redis message bus (real Redis)", .timeLimit(.minutes(2)))
struct RedisMessageBusTests {
    @Test("subscribers of one chat share one Redis subscription; the last one out unsubscribes")
    func referenceCountedChannel() async throws {
        let client = RedisClient(settings: try RedisSettings.parse(url: TestEnvironment.redisURL()), connections: 2)
        let bus = try RedisMessageBus(publisher: client, logger: Logger(label: "test"))
        let runner = Task { try await bus.run() }
        let chatID = Int64.random(in: 1_000_000_000_000...9_000_000_000_000)

        // The subscriber connects in the background; until then subscribe fails at once.
        var firstStream: AsyncStream<String>?
        while firstStream == nil {
            firstStream = try? await bus.subscribe(chatID: chatID)
            if firstStream == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let first = try #require(firstStream)
        let second = try await bus.subscribe(chatID: chatID)
        #expect(try await Self.subscriptions(of: chatID, client) == 1)
        #expect(bus.subscribedChatCount == 1)

        let payload = #"{"type":"message","id":1,"content":"hi"}"#
        try await bus.publish(chatID: chatID, payload: payload)
        var firstReader = Reader(first)
        var secondReader = Reader(second)
        // Exactly the published payload, without the bus's publish time.
        #expect(await firstReader.next() == payload)
        #expect(await secondReader.next() == payload)

        await firstReader.stop()
        try await Self.eventually { bus.subscriberCount(of: chatID) == 1 }
        #expect(try await Self.subscriptions(of: chatID, client) == 1)

        // The last subscriber leaves: UNSUBSCRIBE.
        await secondReader.stop()
        try await Self.eventually { try await Self.subscriptions(of: chatID, client) == 0 }
        #expect(bus.subscribedChatCount == 0)

        runner.cancel()
        try? await runner.value
        await client.shutdown()
    }

    /// Reads a bus stream on a task of its own, as a WebSocket session does; `stop` cancels it,
    /// which ends the subscription.
    struct Reader {
        let task: Task<Void, Never>
        var inbox: AsyncStream<String>.Iterator

        init(_ stream: AsyncStream<String>) {
            let (inbox, sink) = AsyncStream.makeStream(of: String.self)
            task = Task {
                for await event in stream { sink.yield(event) }
            }
            self.inbox = inbox.makeAsyncIterator()
        }

        mutating func next() async -> String? {
            await inbox.next()
        }

        func stop() async {
            task.cancel()
            await task.value
        }
    }

    /// Redis's own count of subscribers of the chat's channel (all nodes; here just this bus).
    static func subscriptions(of chatID: Int64, _ client: RedisClient) async throws -> Int64? {
        guard case .array(let reply) = try await client.command(["PUBSUB", "NUMSUB", BusChannel.name(chatID)]), reply.count == 2 else {
            return nil
        }
        return reply[1].integer
    }

    static func eventually(_ condition: () async throws -> Bool) async throws {
        while try await !condition() {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
