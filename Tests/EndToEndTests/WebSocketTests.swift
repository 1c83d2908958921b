import Foundation
import HummingbirdWSClient
import MessengerCore
import NIOHTTP1
import PostgresNIO
import Synchronization
import Testing
import TestSupport

/// `GET /ws` against the real gateway binary (jwt-api.md §5 and the resume extension of
/// docs/websocket.md). No assertion depends on timing: negative checks ("nothing arrives") send a
/// later event that must come next, and the time limits only stop a hung test.
@Suite("WebSocket /ws (real gateway binary)", .timeLimit(.minutes(3)))
struct WebSocketTests {
    static let environment = ["RATE_LIMIT_ENABLED": "false"]

    /// Alice owns a group with Bob; Eve is in no chat.
    struct Fixture: Sendable {
        let gateway: GatewayProcess
        let database: PostgresClient
        let alice: APISession
        let bob: APISession
        let eve: APISession
        let chatID: Int64
    }

    static func withFixture(_ body: @Sendable (Fixture) async throws -> Void) async throws {
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: environment) { gateway in
                let alice = try await APISession.register(on: gateway, username: "alice")
                let bob = try await APISession.register(on: gateway, username: "bob")
                let eve = try await APISession.register(on: gateway, username: "eve")
                let chatID = try await createGroup(by: alice, with: [bob.userID])
                try await body(Fixture(gateway: gateway, database: client, alice: alice, bob: bob, eve: eve, chatID: chatID))
            }
        }
    }

    // MARK: authentication

    @Test("the 101 response carries the request's id: the caller's X-Request-ID when it is a sane token, a new one otherwise")
    func upgradeCarriesRequestID() async throws {
        try await Self.withFixture { f in
            let echoed = try await RawWebSocket.session(port: f.gateway.port, path: "/ws", headers: ["X-Request-ID: trace-ws.42"]) { socket in
                #expect(socket.status.hasPrefix("HTTP/1.1 101"))
                return socket.responseHeader("X-Request-ID")
            }
            #expect(echoed == "trace-ws.42")
            // A value that could forge log structure is replaced, as on every other route.
            let replaced = try await RawWebSocket.session(port: f.gateway.port, path: "/ws", headers: ["X-Request-ID: a b\"c"]) { socket in
                socket.responseHeader("X-Request-ID")
            }
            let generated = try await RawWebSocket.session(port: f.gateway.port, path: "/ws") { socket in
                socket.responseHeader("X-Request-ID")
            }
            for id in [replaced, generated] {
                let value = try #require(id)
                #expect(value != "a b\"c" && !value.isEmpty)
                #expect(value.allSatisfy { $0.isHexDigit })
            }
            #expect(replaced != generated)
        }
    }

    @Test("?token= authenticates at once; the token never reaches the log (D-35)")
    func authenticateByQuery() async throws {
        try await Self.withFixture { f in
            // The server speaks first here: see RawWebSocket for why this test does not use
            // HummingbirdWSClient.
            let frames = try await RawWebSocket.session(port: f.gateway.port, path: "/ws?token=\(f.bob.accessToken)") { socket in
                #expect(socket.status.hasPrefix("HTTP/1.1 101"))
                var frames = [try await socket.next()]
                try await socket.sendText(#"{"type":"ping"}"#)
                frames.append(try await socket.next())
                try await socket.sendClose()
                return frames + (try await socket.remainingFrames()).map { $0 }
            }
            #expect(frames == [
                .text(#"{"type":"auth_ok","user_id":\#(f.bob.userID)}"#), .text(#"{"type":"pong"}"#), .close(code: 1000, reason: ""),
            ])
            #expect(!f.gateway.log.contains(f.bob.accessToken))
            #expect(!f.gateway.log.contains("token="))
        }
    }

    @Test("auth message; before it only Not authenticated; same-user re-auth; another user is refused (D-9)")
    func authenticateByMessage() async throws {
        try await Self.withFixture { f in
            let socket = try await TestSocket.connect(to: f.gateway)
            try socket.send(["type": "ping"])
            #expect(try await Self.error(socket) == "Not authenticated")
            try socket.send(["type": "subscribe", "chat_id": f.chatID])
            #expect(try await Self.error(socket) == "Not authenticated")
            try socket.send(["type": "dance"])
            #expect(try await Self.error(socket) == "Not authenticated")

            try socket.send(["type": "auth", "token": f.bob.accessToken])
            let ok = try #require(try await socket.receiveObject())
            #expect(ok["type"] as? String == "auth_ok")
            #expect(Self.int(ok["user_id"]) == f.bob.userID)

            // A fresh token of the same user replaces the old one.
            let again = try await APISession.login(on: f.gateway, username: f.bob.username, password: f.bob.password)
            try socket.send(["type": "auth", "token": again.accessToken])
            #expect(try await socket.receiveObject()?["type"] as? String == "auth_ok")

            try socket.send(["type": "auth", "token": f.alice.accessToken])
            let (messages, close) = await socket.receiveUntilClosed()
            #expect(messages.map(Self.object).compactMap { $0?["message"] as? String } == ["Already authenticated as another user"])
            #expect(close?.closeCode == .policyViolation)
        }
    }

    @Test("a bad, refresh or blocked user's token: error, then close 1008")
    func refusedTokens() async throws {
        try await Self.withFixture { f in
            for token in ["not.a.jwt", "", f.bob.refreshToken] {
                // The gateway closes the TCP connection right after its close frame.
                let frames = try await RawWebSocket.session(port: f.gateway.port, path: "/ws?token=\(token)") { socket in
                    try await socket.remainingFrames()
                }
                #expect(frames == [
                    .text(#"{"type":"error","message":"Invalid or expired access token"}"#),
                    .close(code: 1008, reason: "Invalid or expired access token"),
                ])
            }

            for token: Any in [f.bob.refreshToken, "", 42] {
                let socket = try await TestSocket.connect(to: f.gateway)
                try socket.send(["type": "auth", "token": token])
                let (messages, close) = await socket.receiveUntilClosed()
                #expect(messages == [#"{"type":"error","message":"Invalid or expired access token"}"#])
                #expect(close?.closeCode == .policyViolation)
            }

            try await f.database.query("UPDATE users SET is_blocked = true WHERE id = \(f.eve.userID)", logger: .init(label: "t"))
            let blocked = try await TestSocket.connect(to: f.gateway)
            try blocked.send(["type": "auth", "token": f.eve.accessToken])
            let (blockedMessages, blockedClose) = await blocked.receiveUntilClosed()
            #expect(blockedMessages == [#"{"type":"error","message":"Invalid or expired access token"}"#])
            #expect(blockedClose?.closeCode == .policyViolation)
        }
    }

    @Test("no auth within WS_AUTH_TIMEOUT_S: Authentication timeout, 1008")
    func authenticationTimeout() async throws {
        try await Self.withFixture { f in
            let socket = try await TestSocket.connect(to: f.gateway)
            let (messages, close) = await socket.receiveUntilClosed()
            #expect(messages == [#"{"type":"error","message":"Authentication timeout"}"#])
            #expect(close?.closeCode == .policyViolation)
        }
    }

    @Test("over 20 connects a minute per IP: the socket is refused with Too many requests, 1008")
    func connectRateLimit() async throws {
        try await ScratchDatabase.with { database, _ in
            try await GatewayProcess.with(databaseURL: database.url) { gateway in
                try await FixedWindow.waitForTopOfMinute()
                for _ in 0..<20 {
                    let frames = try await RawWebSocket.session(port: gateway.port, path: "/ws") { socket in
                        try await socket.sendClose()
                        return try await socket.remainingFrames()
                    }
                    #expect(frames == [.close(code: 1000, reason: "")])
                }
                let refused = try await RawWebSocket.session(port: gateway.port, path: "/ws") { socket in
                    try await socket.remainingFrames()
                }
                #expect(refused == [
                    .text(#"{"type":"error","message":"Too many requests"}"#), .close(code: 1008, reason: "Too many requests"),
                ])
            }
        }
    }

    @Test("the token's exp passes without re-authentication: Token expired, 1008")
    func tokenExpiry() async throws {
        try await Self.withFixture { f in
            // A token of the test secret that expires in a few seconds (TTL 3600, issued 3595 s ago).
            let tokens = await TokenService(
                jwtSecret: TestEnvironment.secrets["JWT_SECRET"] ?? "", refreshTokenHashKey: "unused-0123456789abcdef-0123456789",
                accessTTL: 3600, refreshTTL: 3600)
            let shortLived = try await tokens.issueAccessToken(userID: f.bob.userID, isAdmin: false, now: Date().addingTimeInterval(-3595))
            let socket = try await TestSocket.connect(to: f.gateway)
            try socket.send(["type": "auth", "token": shortLived])
            #expect(try await socket.receiveObject()?["type"] as? String == "auth_ok")
            let (messages, close) = await socket.receiveUntilClosed()
            #expect(messages == [#"{"type":"error","message":"Token expired"}"#])
            #expect(close?.closeCode == .policyViolation)
        }
    }

    // MARK: transport

    @Test("a message in fragments with a protocol ping between them: the pong at once, then the reply")
    func fragmentsAndProtocolPing() async throws {
        try await Self.withFixture { f in
            let frames = try await RawWebSocket.session(port: f.gateway.port, path: "/ws?token=\(f.bob.accessToken)") { socket in
                var frames = [try await socket.next()]
                try await socket.sendTextFragment(#"{"type""#, first: true, last: false)
                try await socket.sendPing([1, 2, 3])
                try await socket.sendTextFragment(#":"pi"#, first: false, last: false)
                try await socket.sendTextFragment(#"ng"}"#, first: false, last: true)
                frames.append(try await socket.next())
                frames.append(try await socket.next())
                try await socket.sendClose()
                return frames + (try await socket.remainingFrames()).map { $0 }
            }
            #expect(frames == [
                .text(#"{"type":"auth_ok","user_id":\#(f.bob.userID)}"#), .pong(payload: [1, 2, 3]), .text(#"{"type":"pong"}"#),
                .close(code: 1000, reason: ""),
            ])
        }
    }

    @Test("plain GET /ws answers 200; an upgrade of another path is refused with 400")
    func nonUpgradeRequests() async throws {
        try await Self.withFixture { f in
            let plain = try await HTTPTestClient.request(f.gateway.baseURL + "/ws")
            #expect(plain.status == 200)
            #expect(plain.body.isEmpty)
            let status = try await RawWebSocket.session(port: f.gateway.port, path: "/chats") { socket in socket.status }
            #expect(status.hasPrefix("HTTP/1.1 400"))
            // The connection's first request picks its pipeline: HTTP still works after a refusal.
            #expect(try await HTTPTestClient.request(f.gateway.baseURL + "/health").status == 200)
        }
    }

    @Test("the gateway shutting down closes idle sockets with 1000 and exits cleanly")
    func shutdownClosesSockets() async throws {
        try await ScratchDatabase.with { database, _ in
            let gateway = try await GatewayProcess.start(databaseURL: database.url, environment: Self.environment)
            let bob = try await APISession.register(on: gateway, username: "bob")
            let (frames, status) = try await RawWebSocket.session(port: gateway.port, path: "/ws?token=\(bob.accessToken)") { socket in
                let first = try await socket.next()
                async let stopped = gateway.stop(timeout: .seconds(20))
                let rest = try await socket.remainingFrames()
                // Answering the close frame lets the gateway finish without waiting out the grace.
                try? await socket.sendClose()
                return ([first] + rest.map { $0 }, await stopped)
            }
            #expect(frames == [.text(#"{"type":"auth_ok","user_id":\#(bob.userID)}"#), .close(code: 1000, reason: "")])
            #expect(status == 0)
        }
    }

    // MARK: protocol errors

    @Test("bad JSON, unknown types and wrong field types get the §5 error and keep the socket")
    func protocolErrors() async throws {
        try await Self.withFixture { f in
            let socket = try await Self.authenticated(f.bob, on: f.gateway)
            let cases: [(String, String)] = [
                ("{", "Invalid JSON"),
                ("null", "Invalid JSON"),
                ("[1,2]", "Invalid JSON"),
                ("42", "Invalid JSON"),
                ("{}", "Unknown message type: "),
                (#"{"type":5}"#, "Unknown message type: "),
                (#"{"type":"dance"}"#, "Unknown message type: dance"),
                (#"{"type":"say \"hi\""}"#, #"Unknown message type: say "hi""#),
                (#"{"type":"subscribe"}"#, "Invalid chat_id"),
                (#"{"type":"subscribe","chat_id":"1"}"#, "Invalid chat_id"),
                (#"{"type":"subscribe","chat_id":0}"#, "Invalid chat_id"),
                (#"{"type":"subscribe","chat_id":-3}"#, "Invalid chat_id"),
                (#"{"type":"subscribe","chat_id":1.5}"#, "Invalid chat_id"),
                (#"{"type":"subscribe","chat_id":true}"#, "Invalid chat_id"),
                (#"{"type":"unsubscribe","chat_id":null}"#, "Invalid chat_id"),
                (#"{"type":"subscribe","chat_id":1,"last_message_id":"x"}"#, "Invalid last_message_id"),
                (#"{"type":"subscribe","chat_id":1,"last_message_id":-1}"#, "Invalid last_message_id"),
            ]
            for (frame, expected) in cases {
                socket.sendText(frame)
                #expect(try await Self.error(socket) == expected, "\(frame)")
            }
            try socket.send(["type": "ping"])
            #expect(await socket.receive() == #"{"type":"pong"}"#)
            socket.close()
        }
    }

    @Test("a message above 64 KiB, even in fragments: Message too large, 1009")
    func messageTooLarge() async throws {
        try await Self.withFixture { f in
            let socket = try await Self.authenticated(f.bob, on: f.gateway)
            socket.sendFragments(Array(repeating: String(repeating: "x", count: 15_000), count: 5))
            let (messages, close) = await socket.receiveUntilClosed()
            #expect(messages == [#"{"type":"error","message":"Message too large"}"#])
            #expect(close?.closeCode == .messageTooLarge)
        }
    }

    @Test("a flood of frames: Too many requests, 1008")
    func frameFlood() async throws {
        try await Self.withFixture { f in
            let socket = try await Self.authenticated(f.bob, on: f.gateway)
            for _ in 0..<300 { try socket.send(["type": "ping"]) }
            let (messages, close) = await socket.receiveUntilClosed()
            #expect(messages.last == #"{"type":"error","message":"Too many requests"}"#)
            #expect(messages.dropLast().allSatisfy { $0 == #"{"type":"pong"}"# })
            #expect(messages.count < 300)
            #expect(close?.closeCode == .policyViolation)
        }
    }

    // MARK: subscriptions and delivery

    @Test("members only: a non-member and an unknown chat are refused")
    func subscribeNonMember() async throws {
        try await Self.withFixture { f in
            let socket = try await Self.authenticated(f.eve, on: f.gateway)
            try socket.send(["type": "subscribe", "chat_id": f.chatID])
            #expect(try await Self.error(socket) == "Not a member of this chat")
            try socket.send(["type": "subscribe", "chat_id": 987_654])
            #expect(try await Self.error(socket) == "Not a member of this chat")
            // Still refused when resuming.
            try socket.send(["type": "subscribe", "chat_id": f.chatID, "last_message_id": 0])
            #expect(try await Self.error(socket) == "Not a member of this chat")
            socket.close()
        }
    }

    @Test("a message sent over HTTP arrives with the §5.6 shape, to the sender's socket too")
    func delivery() async throws {
        try await Self.withFixture { f in
            let bob = try await Self.authenticated(f.bob, on: f.gateway)
            #expect(try await Self.subscribe(bob, to: f.chatID) == #"{"type":"subscribed","chat_id":\#(f.chatID)}"#)
            // Subscribing twice is idempotent and answered again.
            #expect(try await Self.subscribe(bob, to: f.chatID) == #"{"type":"subscribed","chat_id":\#(f.chatID)}"#)
            let alice = try await Self.authenticated(f.alice, on: f.gateway)
            _ = try await Self.subscribe(alice, to: f.chatID)

            let sent = try await f.alice.request(.POST, "/chats/\(f.chatID)/messages", json: ["content": "hi / 👋"])
            #expect(sent.status == 201)
            let stored = try sent.object()
            for socket in [bob, alice] {
                // Bob's socket may first hear that Alice came online (presence).
                let event = try #require(try await socket.receiveObject(ofType: "message"))
                #expect(event["type"] as? String == "message")
                #expect(Self.int(event["id"]) == Self.int(stored["id"]))
                #expect(Self.int(event["chat_id"]) == f.chatID)
                #expect(Self.int(event["sender_id"]) == f.alice.userID)
                #expect(event["content"] as? String == "hi / 👋")
                #expect(event["message_type"] as? String == "text")
                #expect(event["created_at"] as? String == stored["created_at"] as? String)
                #expect(Set(["type", "id", "chat_id", "sender_id", "content", "message_type", "created_at"]).isSubset(of: event.keys))
            }
            bob.close()
            alice.close()
        }
    }

    @Test("unsubscribe stops delivery of that chat only")
    func unsubscribe() async throws {
        try await Self.withFixture { f in
            let other = try await Self.createGroup(by: f.alice, with: [f.bob.userID])
            let bob = try await Self.authenticated(f.bob, on: f.gateway)
            _ = try await Self.subscribe(bob, to: f.chatID)
            _ = try await Self.subscribe(bob, to: other)
            try bob.send(["type": "unsubscribe", "chat_id": f.chatID])
            #expect(await bob.receive() == #"{"type":"unsubscribed","chat_id":\#(f.chatID)}"#)

            _ = try await Self.post("not for bob", by: f.alice, in: f.chatID)
            let expected = try await Self.post("for bob", by: f.alice, in: other)
            let next = try #require(try await bob.receiveObject())
            #expect(Self.int(next["id"]) == expected)
            #expect(next["content"] as? String == "for bob")
            bob.close()
        }
    }

    @Test("leaving a chat ends the open socket's subscription to it (D-9)")
    func leaveStopsDelivery() async throws {
        try await Self.withFixture { f in
            let other = try await Self.createGroup(by: f.alice, with: [f.bob.userID])
            let bob = try await Self.authenticated(f.bob, on: f.gateway)
            _ = try await Self.subscribe(bob, to: f.chatID)
            _ = try await Self.subscribe(bob, to: other)

            let left = try await f.bob.request(.DELETE, "/chats/\(f.chatID)/leave")
            #expect(left.status == 204)
            #expect(await bob.receive() == #"{"type":"unsubscribed","chat_id":\#(f.chatID),"reason":"member_removed"}"#)

            _ = try await Self.post("after bob left", by: f.alice, in: f.chatID)
            let expected = try await Self.post("still for bob", by: f.alice, in: other)
            #expect(Self.int(try await bob.receiveObject()?["id"]) == expected)

            // And he cannot come back on the socket either.
            try bob.send(["type": "subscribe", "chat_id": f.chatID])
            #expect(try await Self.error(bob) == "Not a member of this chat")
            bob.close()
        }
    }

    @Test("typing reaches the other subscribers, not the typist")
    func typing() async throws {
        try await Self.withFixture { f in
            let bob = try await Self.authenticated(f.bob, on: f.gateway)
            let alice = try await Self.authenticated(f.alice, on: f.gateway)
            _ = try await Self.subscribe(bob, to: f.chatID)
            _ = try await Self.subscribe(alice, to: f.chatID)
            try alice.send(["type": "typing", "chat_id": f.chatID])
            // Alice's presence may come first: she authenticated while Bob subscribed.
            let typing = try #require(try await bob.receiveObject(ofType: "typing"))
            #expect(Self.int(typing["chat_id"]) == f.chatID)
            #expect(Self.int(typing["user_id"]) == f.alice.userID)
            #expect(typing.count == 3)

            let expected = try await Self.post("typed", by: f.alice, in: f.chatID)
            #expect(Self.int(try await alice.receiveObject(ofType: "message")?["id"]) == expected)

            let eve = try await Self.authenticated(f.eve, on: f.gateway)
            try eve.send(["type": "typing", "chat_id": f.chatID])
            #expect(try await Self.error(eve) == "Not a member of this chat")
            for socket in [bob, alice, eve] { socket.close() }
        }
    }

    @Test("presence without Redis: online on the first socket, offline after the last; GET /users/{id} follows")
    func presenceSingleNode() async throws {
        try await Self.withFixture { f in
            let watcher = try await Self.authenticated(f.alice, on: f.gateway)
            _ = try await Self.subscribe(watcher, to: f.chatID)
            let first = try await Self.authenticated(f.bob, on: f.gateway)
            #expect(await watcher.receive() == #"{"type":"presence","user_id":\#(f.bob.userID),"status":"online"}"#)
            let profile = try await f.alice.request(.GET, "/users/\(f.bob.userID)").object()
            #expect(profile["online"] as? Bool == true)
            #expect(profile["last_seen"] is String)

            let second = try await Self.authenticated(f.bob, on: f.gateway)
            first.close()
            // No event for the first close: the next frame is a later message.
            try await Self.waitForMetric("messenger_ws_connections_active", on: f.gateway, toBe: 2)
            let marker = try await Self.post("marker", by: f.alice, in: f.chatID)
            #expect(Self.int(try await watcher.receiveObject()?["id"]) == marker)
            second.close()
            #expect(await watcher.receive() == #"{"type":"presence","user_id":\#(f.bob.userID),"status":"offline"}"#)
            #expect(try await f.alice.request(.GET, "/users/\(f.bob.userID)").object()["online"] as? Bool == false)
            watcher.close()
        }
    }

    // MARK: resume

    @Test("resume replays exactly the missed messages once, then continues live")
    func resume() async throws {
        try await Self.withFixture { f in
            let first = try await Self.authenticated(f.bob, on: f.gateway)
            _ = try await Self.subscribe(first, to: f.chatID)
            let seen = try await Self.post("seen", by: f.alice, in: f.chatID)
            #expect(Self.int(try await first.receiveObject()?["id"]) == seen)
            first.close()
            _ = await first.closeFrame()

            var missed: [Int64] = []
            for index in 1...5 { missed.append(try await Self.post("missed \(index)", by: f.alice, in: f.chatID)) }

            let second = try await Self.authenticated(f.bob, on: f.gateway)
            try second.send(["type": "subscribe", "chat_id": f.chatID, "last_message_id": seen])
            var replayed: [Int64] = []
            var reply: [String: Any] = [:]
            while let object = try await second.receiveObject() {
                if object["type"] as? String == "message" {
                    replayed.append(try #require(Self.int(object["id"])))
                    #expect(object["content"] as? String == "missed \(replayed.count)")
                    continue
                }
                reply = object
                break
            }
            #expect(replayed == missed)
            #expect(reply["type"] as? String == "subscribed")
            #expect(Self.int(reply["chat_id"]) == f.chatID)
            #expect(Self.int(reply["replayed"]) == 5)

            let live = try await Self.post("live", by: f.alice, in: f.chatID)
            #expect(Self.int(try await second.receiveObject()?["id"]) == live)

            // Resuming from the newest id replays nothing.
            try second.send(["type": "subscribe", "chat_id": f.chatID, "last_message_id": live])
            #expect(await second.receive() == #"{"type":"subscribed","chat_id":\#(f.chatID),"replayed":0}"#)
            second.close()
        }
    }

    @Test("resume while messages keep coming: every message exactly once, in id order")
    func resumeUnderConcurrentSends() async throws {
        try await Self.withFixture { f in
            let baseline = try await Self.post("baseline", by: f.alice, in: f.chatID)
            var expected: [Int64] = []
            for index in 1...5 { expected.append(try await Self.post("offline \(index)", by: f.alice, in: f.chatID)) }

            let socket = try await Self.authenticated(f.bob, on: f.gateway)
            let concurrent = Task {
                var ids: [Int64] = []
                for index in 1...30 { ids.append(try await Self.post("during \(index)", by: f.alice, in: f.chatID)) }
                return ids
            }
            try socket.send(["type": "subscribe", "chat_id": f.chatID, "last_message_id": baseline])
            let during = try await concurrent.value
            expected += during
            let sentinel = try await Self.post("sentinel", by: f.alice, in: f.chatID)

            var received: [Int64] = []
            var subscribedCount = 0
            while let object = try await socket.receiveObject() {
                if object["type"] as? String == "subscribed" {
                    subscribedCount += 1
                    continue
                }
                let id = try #require(Self.int(object["id"]))
                if id == sentinel { break }
                received.append(id)
            }
            #expect(subscribedCount == 1)
            #expect(received == expected)
            #expect(Set(received).count == received.count)
            socket.close()
        }
    }

    @Test("more than 500 missed messages: refused with the chat id, nothing subscribed")
    func resumeTooFarBehind() async throws {
        try await Self.withFixture { f in
            try await f.database.query(
                """
                INSERT INTO messages (chat_id, sender_id, content, message_type)
                SELECT \(f.chatID), \(f.alice.userID), 'bulk ' || n, 'text' FROM generate_series(1, 501) AS n
                """, logger: .init(label: "t"))
            let socket = try await Self.authenticated(f.bob, on: f.gateway)
            try socket.send(["type": "subscribe", "chat_id": f.chatID, "last_message_id": 0])
            #expect(await socket.receive() == #"{"type":"error","message":"Too many missed messages","chat_id":\#(f.chatID)}"#)
            let expected = try await Self.post("not delivered", by: f.alice, in: f.chatID)
            try socket.send(["type": "subscribe", "chat_id": f.chatID, "last_message_id": expected - 1])
            let replayed = try #require(try await socket.receiveObject())
            #expect(Self.int(replayed["id"]) == expected)
            #expect(await socket.receive() == #"{"type":"subscribed","chat_id":\#(f.chatID),"replayed":1}"#)
            socket.close()
        }
    }

    // MARK: slow consumers and metrics

    @Test("a reader that stops reading is closed with 4008 while a fast one gets everything")
    func slowConsumer() async throws {
        try await Self.withFixture { f in
            let fast = try await Self.authenticated(f.bob, on: f.gateway)
            let slow = try await Self.authenticated(f.alice, on: f.gateway)
            _ = try await Self.subscribe(fast, to: f.chatID)
            _ = try await Self.subscribe(slow, to: f.chatID)
            let content = String(repeating: "x", count: 4000)

            let fastReader = Task {
                var ids: [Int64] = []
                while let object = try await fast.receiveObject() {
                    if object["content"] as? String == "end" { break }
                    if let id = Self.int(object["id"]) { ids.append(id) }
                }
                return ids
            }
            var sent: [Int64] = []
            // Bounded: the kernel's socket buffers plus the 512-frame queue hold far fewer.
            for _ in 0..<40 {
                sent += try await withThrowingTaskGroup(of: [Int64].self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var ids: [Int64] = []
                            for _ in 0..<25 { ids.append(try await Self.post(content, by: f.bob, in: f.chatID)) }
                            return ids
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                if try await Self.metric("messenger_ws_slow_consumer_closes_total", on: f.gateway) >= 1 { break }
            }
            #expect(try await Self.metric("messenger_ws_slow_consumer_closes_total", on: f.gateway) == 1)
            _ = try await Self.post("end", by: f.bob, in: f.chatID)
            let fastIDs = try await fastReader.value
            #expect(fastIDs.count == sent.count)
            #expect(Set(fastIDs) == Set(sent))

            let (slowMessages, close) = await slow.receiveUntilClosed()
            #expect(slowMessages.count < sent.count)
            #expect(close?.closeCode == .init(codeNumber: 4008))
            #expect(close?.reason == "slow consumer")
            fast.close()
        }
    }

    @Test("connection gauges: total counts every socket, active returns to zero on every close path")
    func connectionMetrics() async throws {
        try await Self.withFixture { f in
            let before = try await Self.metric("messenger_ws_connections_total", on: f.gateway)
            let clean = try await Self.authenticated(f.bob, on: f.gateway)
            let refused = try await TestSocket.connect(to: f.gateway)
            try refused.send(["type": "auth", "token": "bad"])
            let tooBig = try await Self.authenticated(f.alice, on: f.gateway)
            // The refused socket may already be gone; the other two are open.
            #expect(try await Self.metric("messenger_ws_connections_active", on: f.gateway) >= 2)
            tooBig.sendFragments(Array(repeating: String(repeating: "y", count: 15_000), count: 5))
            clean.close()
            for socket in [clean, refused, tooBig] { _ = await socket.receiveUntilClosed() }
            #expect(try await Self.metric("messenger_ws_connections_total", on: f.gateway) == before + 3)
            // The gauge drops once the server side has finished; poll a bounded number of times.
            var active = -1.0
            for _ in 0..<200 {
                active = try await Self.metric("messenger_ws_connections_active", on: f.gateway)
                if active == 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(active == 0)
        }
    }

    // MARK: helpers

    static func createGroup(by owner: APISession, with members: [Int64]) async throws -> Int64 {
        let reply = try await owner.request(.POST, "/chats", json: ["type": "group", "title": "t", "member_ids": members])
        guard reply.status == 201, let id = int(try reply.object()["id"]) else {
            throw APISession.SessionError.unexpected("create chat", reply.status, reply.text)
        }
        return id
    }

    /// Sends a text message over HTTP; its id.
    static func post(_ content: String, by sender: APISession, in chatID: Int64) async throws -> Int64 {
        let reply = try await sender.request(.POST, "/chats/\(chatID)/messages", json: ["content": content])
        guard reply.status == 201, let id = int(try reply.object()["id"]) else {
            throw APISession.SessionError.unexpected("send", reply.status, reply.text)
        }
        return id
    }

    /// A socket authenticated by message, its `auth_ok` consumed.
    static func authenticated(_ session: APISession, on gateway: GatewayProcess) async throws -> TestSocket {
        let socket = try await TestSocket.connect(to: gateway)
        try socket.send(["type": "auth", "token": session.accessToken])
        let ok = try await socket.receiveObject()
        #expect(ok?["type"] as? String == "auth_ok")
        return socket
    }

    /// The raw reply to a plain subscribe.
    static func subscribe(_ socket: TestSocket, to chatID: Int64) async throws -> String? {
        try socket.send(["type": "subscribe", "chat_id": chatID])
        return await socket.receive()
    }

    /// The `message` of the next reply, which must be an error.
    static func error(_ socket: TestSocket) async throws -> String? {
        let object = try await socket.receiveObject()
        #expect(object?["type"] as? String == "error")
        #expect(object?.count == 2)
        return object?["message"] as? String
    }

    static func object(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    static func int(_ value: Any?) -> Int64? {
        (value as? NSNumber)?.int64Value
    }

    /// Polls /metrics until the sample has the value; the suite's time limit stops a hung test.
    static func waitForMetric(_ name: String, on gateway: GatewayProcess, toBe value: Double) async throws {
        while try await metric(name, on: gateway) != value {
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// One unlabelled sample of the gateway's /metrics.
    static func metric(_ name: String, on gateway: GatewayProcess) async throws -> Double {
        let text = try await HTTPTestClient.request(gateway.baseURL + "/metrics").text
        for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1)) ?? -1
        }
        return 0
    }
}
