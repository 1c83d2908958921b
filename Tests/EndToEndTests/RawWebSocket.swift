import Foundation
import NIOCore
import NIOPosix

/// A WebSocket client spelled out over a plain TCP connection, for the cases where the gateway
/// speaks first (`?token=`). HummingbirdWSClient can lose the frames that reach it in the same
/// read as the 101 response when many connections upgrade at once; this client reads exactly the
/// bytes the server sent.
final class RawWebSocket {
    enum Frame: Equatable {
        case text(String)
        case close(code: Int?, reason: String)
        case pong(payload: [UInt8])
        case other(opcode: UInt8)
    }

    enum Failure: Error {
        case connectionClosedDuringHandshake
    }

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer = ByteBuffer()
    /// The status line of the upgrade response.
    private(set) var status = ""
    /// The upgrade response's header lines.
    private(set) var responseHeaders: [String] = []

    /// The value of the upgrade response's header `name` (case-insensitive), if present.
    func responseHeader(_ name: String) -> String? {
        for line in responseHeaders {
            guard let colon = line.firstIndex(of: ":"), line[..<colon].lowercased() == name.lowercased() else { continue }
            return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, upgrades `path` and runs `body` on the open socket; the TCP connection is closed
    /// afterwards.
    static func session<Result: Sendable>(
        port: Int, path: String, headers: [String] = [], _ body: (RawWebSocket) async throws -> Result
    ) async throws -> Result {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let socket = RawWebSocket(inbound: inbound, outbound: outbound)
            try await socket.handshake(path: path, headers: headers)
            return try await body(socket)
        }
    }

    /// `headers`: extra request header lines, `Name: value` each.
    private func handshake(path: String, headers: [String]) async throws {
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n"
        try await outbound.write(ByteBuffer(string: request))
        while true {
            let view = buffer.readableBytesView
            if let end = view.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = buffer.readString(length: end.upperBound - view.startIndex) ?? ""
                let lines = head.components(separatedBy: "\r\n")
                status = lines.first ?? ""
                responseHeaders = lines.dropFirst().filter { !$0.isEmpty }
                return
            }
            guard try await fill() else { throw Failure.connectionClosedDuringHandshake }
        }
    }

    /// Reads more bytes; false at the end of the stream.
    private func fill() async throws -> Bool {
        guard var more = try await inbound.next() else { return false }
        buffer.writeBuffer(&more)
        return true
    }

    /// The next frame from the server; nil once the server has closed the TCP connection.
    func next() async throws -> Frame? {
        while true {
            if let frame = parseFrame() { return frame }
            guard try await fill() else { return nil }
        }
    }

    /// Every frame until the server closes the TCP connection.
    func remainingFrames() async throws -> [Frame] {
        var frames: [Frame] = []
        while let frame = try await next() { frames.append(frame) }
        return frames
    }

    private func parseFrame() -> Frame? {
        let bytes = Array(buffer.readableBytesView)
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7F)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard bytes.count >= offset + length else { return nil }
        buffer.moveReaderIndex(forwardBy: offset + length)
        let payload = Array(bytes[offset..<(offset + length)])
        switch bytes[0] & 0x0F {
        case 0x1:
            return .text(String(decoding: payload, as: UTF8.self))
        case 0x8:
            let code = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil
            return .close(code: code, reason: String(decoding: payload.dropFirst(2), as: UTF8.self))
        case 0xA:
            return .pong(payload: payload)
        case let opcode:
            return .other(opcode: opcode)
        }
    }

    func sendText(_ text: String) async throws {
        try await sendFrame(opcode: 0x1, payload: Array(text.utf8))
    }

    /// A close frame with 1000 (normal closure).
    func sendClose() async throws {
        try await sendFrame(opcode: 0x8, payload: [0x03, 0xE8])
    }

    /// A protocol-level ping (not the JSON `ping` message).
    func sendPing(_ payload: [UInt8]) async throws {
        try await sendFrame(opcode: 0x9, payload: payload)
    }

    /// One text message as several frames: a text frame, then continuations, FIN on the last.
    func sendTextFragment(_ text: String, first: Bool, last: Bool) async throws {
        try await sendFrame(opcode: first ? 0x1 : 0x0, payload: Array(text.utf8), fin: last)
    }

    /// Client frames are masked (RFC 6455 §5.3).
    private func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true) async throws {
        var frame = ByteBuffer()
        frame.writeInteger((fin ? 0x80 : 0) | opcode)
        if payload.count < 126 {
            frame.writeInteger(UInt8(0x80 | payload.count))
        } else if payload.count <= 0xFFFF {
            frame.writeInteger(UInt8(0x80 | 126))
            frame.writeInteger(UInt16(payload.count))
        } else {
            frame.writeInteger(UInt8(0x80 | 127))
            frame.writeInteger(UInt64(payload.count))
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame.writeBytes(mask)
        frame.writeBytes(payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        try await outbound.write(frame)
    }
}
