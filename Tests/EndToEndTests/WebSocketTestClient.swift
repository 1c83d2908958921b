import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import TestSupport

/// A WebSocket client for the end-to-end tests, driven one step at a time. It reads from the
/// socket only when a test asks for the next message, so a test that stops asking is a slow
/// reader for real: the client's buffers fill and TCP pushes back on the gateway.
actor TestSocket {
    enum Command: Sendable {
        case text(String)
        case fragments([String])
        case close
    }

    private var messages: AsyncStream<String>.Iterator
    private let credits: AsyncStream<Void>.Continuation
    private let commands: AsyncStream<Command>.Continuation
    private let client: Task<WebSocketCloseFrame?, any Error>

    private init(
        messages: AsyncStream<String>, credits: AsyncStream<Void>.Continuation, commands: AsyncStream<Command>.Continuation,
        client: Task<WebSocketCloseFrame?, any Error>
    ) {
        self.messages = messages.makeAsyncIterator()
        self.credits = credits
        self.commands = commands
        self.client = client
    }

    enum ConnectError: Error {
        case notConnected
    }

    /// Connects to `/ws` of the gateway (with `?token=` when `token` is given).
    static func connect(to gateway: GatewayProcess, token: String? = nil) async throws -> TestSocket {
        try await connect(port: gateway.port, token: token)
    }

    static func connect(port: Int, token: String? = nil) async throws -> TestSocket {
        var url = "ws://127.0.0.1:\(port)/ws"
        if let token { url += "?token=\(token)" }
        let (messages, messageSink) = AsyncStream.makeStream(of: String.self)
        let (credits, creditSink) = AsyncStream.makeStream(of: Void.self)
        let (commands, commandSink) = AsyncStream.makeStream(of: Command.self)
        let (connected, connectedSink) = AsyncStream.makeStream(of: Void.self)
        let client = Task {
            defer {
                connectedSink.finish()
                messageSink.finish()
            }
            return try await WebSocketClient.connect(url: url, logger: Logger(label: "test-socket")) { inbound, outbound, _ in
                connectedSink.yield()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        // One message per credit: nothing is read from the socket unless asked for.
                        var iterator = inbound.messages(maxSize: 8 << 20).makeAsyncIterator()
                        for await _ in credits {
                            var delivered = false
                            do {
                                while let message = try await iterator.next() {
                                    if case .text(let text) = message {
                                        messageSink.yield(text)
                                        delivered = true
                                        break
                                    }
                                }
                            } catch {}
                            if !delivered { break }
                        }
                        messageSink.finish()
                    }
                    group.addTask {
                        for await command in commands {
                            switch command {
                            case .text(let text):
                                try? await outbound.write(.text(text))
                            case .fragments(let parts):
                                try? await outbound.withTextMessageWriter { writer in
                                    for part in parts { try await writer(part) }
                                }
                            case .close:
                                try? await outbound.close(.normalClosure, reason: nil)
                                return
                            }
                        }
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        for await _ in connected {
            return TestSocket(messages: messages, credits: creditSink, commands: commandSink, client: client)
        }
        _ = try await client.value
        throw ConnectError.notConnected
    }

    nonisolated func send(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object)
        commands.yield(.text(String(decoding: data, as: UTF8.self)))
    }

    nonisolated func sendText(_ text: String) {
        commands.yield(.text(text))
    }

    /// One text message sent as several frames.
    nonisolated func sendFragments(_ parts: [String]) {
        commands.yield(.fragments(parts))
    }

    /// The next text message, or nil once the connection is closed.
    func receive() async -> String? {
        credits.yield()
        var iterator = messages
        let next = await iterator.next(isolation: #isolation)
        messages = iterator
        return next
    }

    /// The next message as a JSON object; fails the test's expectations with nil when closed.
    nonisolated func receiveObject() async throws -> [String: Any]? {
        guard let text = await receive() else { return nil }
        return try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// Skips other messages (e.g. typing) until one of `type` arrives.
    nonisolated func receiveObject(ofType type: String) async throws -> [String: Any]? {
        while let object = try await receiveObject() {
            if object["type"] as? String == type { return object }
        }
        return nil
    }

    /// Every message up to the server's close, then its close frame.
    func receiveUntilClosed() async -> (messages: [String], close: WebSocketCloseFrame?) {
        var received: [String] = []
        while let text = await receive() { received.append(text) }
        return (received, await closeFrame())
    }

    /// Closes from the client side.
    nonisolated func close() {
        commands.yield(.close)
        credits.finish()
    }

    /// Waits until the connection is over; the server's close frame, if one came.
    func closeFrame() async -> WebSocketCloseFrame? {
        credits.finish()
        commands.finish()
        return try? await client.value
    }
}

