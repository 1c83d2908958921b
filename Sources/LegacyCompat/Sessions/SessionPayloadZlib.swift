import CompressNIO
import NIOCore

/// The zlib (RFC 1950: header, DEFLATE, Adler-32) step of itsdangerous' compressed payloads.
enum SessionPayloadZlib {
    /// Python's `zlib.compress` defaults: level 6, 32 KiB window, memLevel 8. Together with the
    /// same zlib library these give the bytes in the legacy test vectors.
    private static let configuration = ZlibConfiguration(
        windowSize: .defaultWindowSize,
        compressionLevel: .compressionLevel6,
        memoryLevel: .defaultMemoryLevel
    )

    static func compress(_ bytes: [UInt8]) throws -> [UInt8] {
        var input = ByteBuffer(bytes: bytes)
        let output = try input.compress(with: .zlib, configuration: configuration)
        return Array(output.readableBytesView)
    }

    /// Nil for corrupt or truncated data and for anything that would inflate beyond `limit`
    /// bytes, so a small signed cookie cannot expand into a large allocation.
    static func inflate(_ bytes: [UInt8], limit: Int) -> [UInt8]? {
        guard !bytes.isEmpty, let decompressor = try? ZlibDecompressor(algorithm: .zlib) else { return nil }
        var input = ByteBuffer(bytes: bytes)
        var output = ByteBuffer()
        // One spare byte tells "exactly at the limit" from "cut off at the limit".
        output.reserveCapacity(limit + 1)
        do {
            try decompressor.inflate(from: &input, to: &output)
            // inflate reports a finished stream and a stream that merely ran out of input the
            // same way; a second call on the exhausted input succeeds only after the end marker.
            try decompressor.inflate(from: &input, to: &output)
        } catch {
            return nil
        }
        guard output.readableBytes <= limit else { return nil }
        return Array(output.readableBytesView)
    }
}
