import NIOCore
import NIOWebSocket

/// Joins a client's data frames into messages and enforces the message size limit across all
/// fragments (jwt-api.md §5.7), so a message split into many small frames is refused like one big
/// frame.
struct InboundMessageAssembler: Sendable {
    enum Outcome: Equatable, Sendable {
        /// More fragments are due.
        case incomplete
        case text(String)
        /// Binary messages are ignored (§5.3).
        case binary
        case tooLarge
    }

    let maxBytes: Int
    private var pending: ByteBuffer?
    private var pendingIsText = false

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    mutating func append(_ opcode: WebSocketOpcode, _ data: ByteBuffer, fin: Bool) -> Outcome {
        var data = data
        switch opcode {
        case .text, .binary:
            // A new message replaces an unfinished one (RFC 6455 forbids interleaving; a client
            // that does it loses the unfinished message rather than the socket).
            pending = nil
            pendingIsText = opcode == .text
            guard data.readableBytes <= maxBytes else { return .tooLarge }
            guard fin else {
                pending = data
                return .incomplete
            }
            return pendingIsText ? .text(String(buffer: data)) : .binary
        case .continuation:
            guard var buffer = pending else { return .incomplete }
            guard buffer.readableBytes + data.readableBytes <= maxBytes else {
                pending = nil
                return .tooLarge
            }
            buffer.writeBuffer(&data)
            guard fin else {
                pending = buffer
                return .incomplete
            }
            pending = nil
            return pendingIsText ? .text(String(buffer: buffer)) : .binary
        default:
            // Control frames never reach the assembler.
            return .incomplete
        }
    }
}
