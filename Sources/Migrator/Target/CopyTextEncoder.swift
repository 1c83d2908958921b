import NIOCore

/// Rows in PostgreSQL COPY's text format (tab-separated, `\N` for NULL, backslash escapes),
/// written straight into a ByteBuffer for `PostgresConnection.copyFrom`.
public struct CopyTextEncoder: Sendable {
    public private(set) var buffer: ByteBuffer
    private var startOfRow = true
    private var scratch: [UInt8] = []
    public private(set) var rowCount = 0

    public init(capacity: Int = 1 << 16) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    private mutating func separator() {
        if startOfRow {
            startOfRow = false
        } else {
            buffer.writeInteger(UInt8(ascii: "\t"))
        }
    }

    public mutating func null() {
        separator()
        buffer.writeStaticString("\\N")
    }

    public mutating func text(_ value: String?) {
        guard let value else { return null() }
        separator()
        var text = value
        text.withUTF8 { bytes in
            // Most values need no escaping: copy them in one go.
            if !bytes.contains(where: Self.needsEscape) {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x5C: buffer.writeStaticString("\\\\")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                case 0x09: buffer.writeStaticString("\\t")
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == 0x5C || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    public mutating func integer<Value: BinaryInteger>(_ value: Value?) {
        guard let value else { return null() }
        separator()
        decimal(Int64(value))
    }

    /// The digits straight into the buffer: ids are most of a message row, and `String(value)`
    /// costs a generic conversion per column.
    private mutating func decimal(_ value: Int64) {
        let magnitude = value.magnitude
        var digitCount = 1
        var rest = magnitude
        while rest >= 10 {
            rest /= 10
            digitCount += 1
        }
        let length = (value < 0 ? 1 : 0) + digitCount
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { target in
            if value < 0 { target[0] = UInt8(ascii: "-") }
            var index = length
            var rest = magnitude
            repeat {
                index -= 1
                target[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            return length
        }
    }

    public mutating func boolean(_ value: Bool) {
        separator()
        buffer.writeInteger(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// A UTC timestamp given in microseconds since the epoch.
    public mutating func timestamp(microseconds: Int64) {
        separator()
        scratch.removeAll(keepingCapacity: true)
        LegacyTimestamp.writeCopyText(microseconds: microseconds, into: &scratch)
        buffer.writeBytes(scratch)
    }

    /// bytea in hex form (`\x...`, its backslash escaped for COPY).
    public mutating func bytea(_ bytes: [UInt8]) {
        separator()
        buffer.writeStaticString("\\\\x")
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in bytes {
            buffer.writeInteger(digits[Int(byte >> 4)])
            buffer.writeInteger(digits[Int(byte & 0x0F)])
        }
    }

    public mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        startOfRow = true
        rowCount += 1
    }
}

extension CopyTextEncoder {
    /// The columns of `messages` the migrator writes, in the order of `message(_:fileID:)`.
    static let messageColumns = ["id", "chat_id", "sender_id", "content", "message_type", "file_id", "created_at", "sticker_id", "duration_seconds"]

    /// One `messages` row; `fileID` is the voice file's files row.
    mutating func message(_ message: MigratedMessage, fileID: Int64?) {
        integer(message.id)
        integer(message.chatID)
        integer(message.senderID)
        text(message.content)
        text(message.kind)
        integer(fileID)
        timestamp(microseconds: message.createdAt)
        integer(message.stickerID)
        integer(message.durationSeconds)
        endRow()
    }
}
