import NIOCore

/// Rows in PostgreSQL COPY's text format (tab-separated, `\N` for NULL, backslash escapes).
/// Written into a byte array and handed over as one ByteBuffer (`buffer`) for
/// `PostgresConnection.copyFrom`: a million rows are ~20 million small appends, and an array
/// append is a fraction of a ByteBuffer write's cost (no class storage to check each time).
public struct CopyTextEncoder: Sendable {
    private var bytes: [UInt8] = []
    private var startOfRow = true
    public private(set) var rowCount = 0

    public init(capacity: Int = 1 << 16) {
        bytes.reserveCapacity(capacity)
    }

    /// The rows written so far.
    public var buffer: ByteBuffer {
        ByteBuffer(bytes: bytes)
    }

    private mutating func separator() {
        if startOfRow {
            startOfRow = false
        } else {
            bytes.append(UInt8(ascii: "\t"))
        }
    }

    public mutating func null() {
        separator()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    public mutating func text(_ value: String?) {
        guard let value else { return null() }
        separator()
        var text = value
        text.withUTF8 { utf8 in
            // Most values need no escaping: copy them in one go.
            if !utf8.contains(where: Self.needsEscape) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                default: bytes.append(byte)
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

    /// The digits straight into the bytes: ids are most of a message row, and `String(value)`
    /// costs a generic conversion per column.
    private mutating func decimal(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        var divisor: UInt64 = 1
        while divisor <= magnitude / 10 { divisor *= 10 }
        var rest = magnitude
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        } while divisor > 0
    }

    public mutating func boolean(_ value: Bool) {
        separator()
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// A UTC timestamp given in microseconds since the epoch.
    public mutating func timestamp(microseconds: Int64) {
        separator()
        LegacyTimestamp.writeCopyText(microseconds: microseconds, into: &bytes)
    }

    /// bytea in hex form (`\x...`, its backslash escaped for COPY).
    public mutating func bytea(_ value: [UInt8]) {
        separator()
        bytes.append(contentsOf: [0x5C, 0x5C, UInt8(ascii: "x")])
        for byte in value {
            bytes.append(Self.hexDigits[Int(byte >> 4)])
            bytes.append(Self.hexDigits[Int(byte & 0x0F)])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    public mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
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
