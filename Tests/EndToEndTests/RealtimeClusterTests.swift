import Foundation
import Logging
import MessengerCore
import PostgresNIO
import Testing
import TestSupport

/// Two real gateway processes sharing PostgreSQL and Redis (jwt-api.md §5.6, docs/websocket.md §9):
/// delivery across nodes exactly once, unsubscribe and leave across nodes, a Redis restart, presence,
/// and a thousand sockets on one node. Negative checks ("nothing arrives") send a later event that
/// must come next; waits for a state ("Redis reads down") poll, and time limits only stop a hung test.
@Suite("Real-time across gateway nodes (Redis bus)", .timeLimit(.minutes(10)))
struct RealtimeClusterTests {
    static let environment = ["RATE_LIMIT_ENABLED": "false"]

    /// Alice owns a group with Bob; node A and node B serve the same database and Redis.
    struct Cluster: Sendable {
        let a: GatewayProcess
        let b: GatewayProcess
        let alice: APISession
        /// Bob as seen by node B (his token works on both).
        let bob: APISession
        let chatID: Int64
        let database: PostgresClient
    }

    /// The shared Redis of scripts/services.sh carries every test's channels: chat and user ids
    /// start at a random offset so that parallel tests never share a `chat:{id}` or presence key.
    static func withCluster(redisURL: String? = nil, _ body: @Sendable (Cluster) async throws -> Void) async throws {
        let redis = try redisURL ?? TestEnvironment.redisURL()
        let environment = Self.environment.merging(["REDIS_URL": redis]) { $1 }
        try await ScratchDatabase.with { database, client in
            let offset = Int64.random(in: 1...1_000_000_000) * 1000
            try await client.query(
                "SELECT setval('chats_id_seq', \(offset)), setval('users_id_seq', \(offset))", logger: Logger(label: "test"))
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { a in
                try await GatewayProcess.with(databaseURL: database.url, environment: environment) { b in
                    let alice = try await APISession.register(on: a, username: "alice")
                    let bobOnA = try await APISession.register(on: a, username: "bob")
                    let bob = try await APISession.login(on: b, username: bobOnA.username, password: bobOnA.password)
                    let chatID = try await WebSocketTests.createGroup(by: alice, with: [bob.userID])
                    try await body(Cluster(a: a, b: b, alice: alice, bob: bob, chatID: chatID, database: client))
                }
            }
        }
    }

    // MARK: delivery

    @Test("a message sent through node A reaches a socket on node B exactly once, and node A's own socket")
    func crossNodeDelivery() async throws {
        try await Self.withCluster { c in
            let bob = try await WebSocketTests.authenticated(c.bob, on: c.b)
            #expect(try await WebSocketTests.subscribe(bob, to: c.chatID) == #"{"type":"subscribed","chat_id":\#(c.chatID)}"#)
            let alice = try await WebSocketTests.authenticated(c.alice, on: c.a)
            _ = try await WebSocketTests.subscribe(alice, to: c.chatID)
            // Bob's presence may reach Alice's socket first; it is not what this test is about.
            let first = try await WebSocketTests.post("across nodes", by: c.alice, in: c.chatID)
            let second = try await WebSocketTests.post("and again", by: c.alice, in: c.chatID)
            for socket in [bob, alice] {
                let event = try #require(try await socket.receiveObject(ofType: "message"))
                #expect(WebSocketTests.int(event["id"]) == first)
                #expect(event["content"] as? String == "across nodes")
                #expect(WebSocketTests.int(event["sender_id"]) == c.alice.userID)
                #expect(event["bus_published_us"] == nil)
                // Exactly once: the next message is the second one, not the first again.
                #expect(WebSocketTests.int(try await socket.receiveObject(ofType: "message")?["id"]) == second)
            }
            let metrics = try await HTTPTestClient.request(c.b.baseURL + "/metrics").text
            #expect(metrics.contains("# HELP messenger_bus_delivery_lag_seconds "))
            #expect(metrics.contains("messenger_bus_delivery_lag_seconds_count"))
            #expect(try Promtool.checkMetrics(metrics) == 0)
            #expect(try await WebSocketTests.metric("messenger_redis_subscriber_up", on: c.b) == 1)
            bob.close()
            alice.close()
        }
    }

    @Test("unsubscribe on node B and a leave through node A stop delivery on node B")
    func unsubscribeAndLeaveAcrossNodes() async throws {
        try await Self.withCluster { c in
            let second = try await WebSocketTests.createGroup(by: c.alice, with: [c.bob.userID])
            let third = try await WebSocketTests.createGroup(by: c.alice, with: [c.bob.userID])
            let bob = try await WebSocketTests.authenticated(c.bob, on: c.b)
            for chat in [c.chatID, second, third] {
                _ = try await WebSocketTests.subscribe(bob, to: chat)
            }
            try bob.send(["type": "unsubscribe", "chat_id": c.chatID])
            #expect(await bob.receive() == #"{"type":"unsubscribed","chat_id":\#(c.chatID)}"#)
            _ = try await WebSocketTests.post("not for bob", by: c.alice, in: c.chatID)
            let marker = try await WebSocketTests.post("for bob", by: c.alice, in: second)
            #expect(WebSocketTests.int(try await bob.receiveObject()?["id"]) == marker)

            // Bob leaves `second` through node A; his socket on node B loses it at once.
            let bobOnA = try await APISession.login(on: c.a, username: c.bob.username, password: c.bob.password)
            #expect(try await bobOnA.request(.DELETE, "/chats/\(second)/leave").status == 204)
            #expect(await bob.receive() == #"{"type":"unsubscribed","chat_id":\#(second),"reason":"member_removed"}"#)
            _ = try await WebSocketTests.post("after bob left", by: c.alice, in: second)
            let next = try await WebSocketTests.post("still for bob", by: c.alice, in: third)
            #expect(WebSocketTests.int(try await bob.receiveObject()?["id"]) == next)
            bob.close()
        }
    }

    // MARK: Redis outage

    @Test("Redis restarted: HTTP stays up, /health reads down then up, nodes resubscribe, every message arrives once")
    func redisRestart() async throws {
        try await PrivateRedis.with { redis in
            try await Self.withCluster(redisURL: redis.url) { c in
                let bob = try await WebSocketTests.authenticated(c.bob, on: c.b)
                _ = try await WebSocketTests.subscribe(bob, to: c.chatID)
                // A send that takes its id now but commits after the next one, and whose event is
                // lost with the connection: the catch-up must find it below an id already sent.
                let lateID = try await Self.reserveMessageID(c.database)
                var expected = [try await WebSocketTests.post("before", by: c.alice, in: c.chatID)]
                #expect(WebSocketTests.int(try await bob.receiveObject(ofType: "message")?["id"]) == expected[0])
                try await c.database.query(
                    """
                    INSERT INTO messages (id, chat_id, sender_id, content, message_type)
                    VALUES (\(lateID), \(c.chatID), \(c.alice.userID), 'committed late', 'text')
                    """, logger: Logger(label: "test"))

                await redis.stop()
                try await Self.eventually { try await Self.redisState(on: c.a) == "down" }
                try await Self.eventually { try await WebSocketTests.metric("messenger_redis_subscriber_up", on: c.b) == 0 }
                // HTTP keeps serving: the message is stored, its live event is lost for now.
                expected.append(try await WebSocketTests.post("during the outage", by: c.alice, in: c.chatID))
                let failures = try await WebSocketTests.metric("messenger_redis_publish_failures_total", on: c.a)
                #expect(failures >= 1)
                // A new subscription cannot be confirmed meanwhile.
                let other = try await WebSocketTests.authenticated(c.alice, on: c.b)
                try other.send(["type": "subscribe", "chat_id": c.chatID])
                #expect(try await WebSocketTests.error(other) == "Internal error")
                other.close()

                try await redis.start()
                try await Self.eventually { try await Self.redisState(on: c.a) == "up" }
                try await Self.eventually { try await WebSocketTests.metric("messenger_redis_subscriber_up", on: c.b) == 1 }
                // Node B resubscribed Bob's chat and caught his socket up on the missed messages,
                // in id order: the late one below the id it had already sent, then the other.
                #expect(WebSocketTests.int(try await bob.receiveObject(ofType: "message")?["id"]) == lateID)
                #expect(WebSocketTests.int(try await bob.receiveObject(ofType: "message")?["id"]) == expected[1])
                expected.append(try await WebSocketTests.post("after", by: c.alice, in: c.chatID))
                #expect(WebSocketTests.int(try await bob.receiveObject(ofType: "message")?["id"]) == expected[2])
                // And the next one is the next message, no duplicate of a caught-up one.
                expected.append(try await WebSocketTests.post("last", by: c.alice, in: c.chatID))
                #expect(WebSocketTests.int(try await bob.receiveObject(ofType: "message")?["id"]) == expected[3])
                bob.close()
            }
        }
    }

    static func reserveMessageID(_ database: PostgresClient) async throws -> Int64 {
        let rows = try await database.query("SELECT nextval(pg_get_serial_sequence('messages', 'id'))", logger: Logger(label: "test"))
        for try await id in rows.decode(Int64.self) { return id }
        throw AuthAPITests.SetupFailure.noRow
    }

    // MARK: presence

    @Test("presence: online when the first socket opens on any node, offline when the last one closes")
    func presenceAcrossNodes() async throws {
        try await Self.withCluster { c in
            let watcher = try await WebSocketTests.authenticated(c.alice, on: c.a)
            _ = try await WebSocketTests.subscribe(watcher, to: c.chatID)
            let offlineProfile = try await Self.profile(of: c.bob.userID, by: c.alice)
            #expect(offlineProfile["online"] as? Bool == false)
            #expect(offlineProfile["username"] as? String == c.bob.username)

            let onB = try await WebSocketTests.authenticated(c.bob, on: c.b)
            #expect(await watcher.receive() == #"{"type":"presence","user_id":\#(c.bob.userID),"status":"online"}"#)
            let onlineProfile = try await Self.profile(of: c.bob.userID, by: c.alice)
            #expect(onlineProfile["online"] as? Bool == true)
            #expect(onlineProfile["last_seen"] is String)

            // A second socket on the other node, then the first one closes: no event.
            let onA = try await WebSocketTests.authenticated(c.bob, on: c.a)
            onB.close()
            try await Self.eventually {
                try await WebSocketTests.metric("messenger_ws_connections_active", on: c.b) == 0
            }
            let marker = try await WebSocketTests.post("still online", by: c.alice, in: c.chatID)
            #expect(WebSocketTests.int(try await watcher.receiveObject()?["id"]) == marker)

            onA.close()
            #expect(await watcher.receive() == #"{"type":"presence","user_id":\#(c.bob.userID),"status":"offline"}"#)
            let after = try await Self.profile(of: c.bob.userID, by: c.alice)
            #expect(after["online"] as? Bool == false)
            #expect(after["last_seen"] is String)
            watcher.close()
        }
    }

    // MARK: many sockets

    @Test("1,000 sockets on one node all receive a message")
    func thousandSockets() async throws {
        try await Self.withCluster { c in
            let count = 1000
            let (ready, readySink) = AsyncStream.makeStream(of: Void.self)
            let (id, texts) = try await withThrowingTaskGroup(of: String?.self, returning: (Int64, [String?]).self) { group in
                for _ in 0..<count {
                    group.addTask {
                        try await RawWebSocket.session(port: c.b.port, path: "/ws?token=\(c.bob.accessToken)") { socket in
                            var subscribed = false
                            if case .text(let ok)? = try await socket.next(), ok.contains("auth_ok") {
                                try await socket.sendText(#"{"type":"subscribe","chat_id":\#(c.chatID)}"#)
                                if case .text(let reply)? = try await socket.next() { subscribed = reply.contains("subscribed") }
                            }
                            // Counted either way, so a failed socket fails the test instead of hanging it.
                            readySink.yield()
                            guard subscribed else { return nil }
                            // A user never gets his own presence, so the next frame is the message.
                            guard case .text(let message)? = try await socket.next() else { return nil }
                            try await socket.sendClose()
                            return message
                        }
                    }
                }
                var readyCount = 0
                for await _ in ready {
                    readyCount += 1
                    if readyCount == count { break }
                }
                let id = try await WebSocketTests.post("to a thousand", by: c.alice, in: c.chatID)
                var texts: [String?] = []
                for try await text in group { texts.append(text) }
                return (id, texts)
            }
            #expect(texts.count == count)
            let ids = texts.map { text in text.flatMap(WebSocketTests.object).flatMap { WebSocketTests.int($0["id"]) } }
            #expect(ids.filter { $0 == id }.count == count)
        }
    }

    // MARK: helpers

    static func redisState(on gateway: GatewayProcess) async throws -> String? {
        let body = try await HTTPTestClient.request(gateway.baseURL + "/health").object()
        return (body["dependencies"] as? [String: Any])?["redis"] as? String
    }

    static func profile(of userID: Int64, by session: APISession) async throws -> [String: Any] {
        let reply = try await session.request(.GET, "/users/\(userID)")
        #expect(reply.status == 200)
        return try reply.object()
    }

    /// Polls `condition` until it holds; the suite's time limit stops a test that waits forever.
    static func eventually(_ condition: () async throws -> Bool) async throws {
        while try await !condition() {
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}
