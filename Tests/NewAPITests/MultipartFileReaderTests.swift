import Foundation
import NIOCore
import MessengerCore
import Testing

@testable import NewAPI

/// The streaming multipart reader on its own: whatever the chunking of the request, the file
/// part's bytes come out exactly, and bad bodies are told apart from oversized ones.
@Suite("Streaming multipart file reader (in-process)", .timeLimit(.minutes(1)))
struct MultipartFileReaderTests {
    struct Chunks: AsyncSequence {
        typealias Element = ByteBuffer
        let bytes: [UInt8]
        let size: Int

        struct AsyncIterator: AsyncIteratorProtocol {
            let bytes: [UInt8]
            let size: Int
            var offset = 0

            mutating func next() async throws -> ByteBuffer? {
                guard offset < bytes.count else { return nil }
                let end = Swift.min(offset + size, bytes.count)
                defer { offset = end }
                return ByteBuffer(bytes: bytes[offset..<end])
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, size: size) }
    }

    static let boundary = "XyZ123"

    static func form(_ parts: [(headers: String, body: [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = []
        for part in parts {
            bytes += Array("--\(boundary)\r\n\(part.headers)\r\n\r\n".utf8) + part.body + Array("\r\n".utf8)
        }
        return bytes + Array("--\(boundary)--\r\n".utf8)
    }

    static func read(_ body: [UInt8], chunk: Int, limit: Int = 1 << 20) async throws -> (MultipartFileReader<Chunks.AsyncIterator>.FilePart?, [UInt8]) {
        let reader = MultipartFileReader(body: Chunks(bytes: body, size: chunk).makeAsyncIterator(), boundary: boundary, limit: limit)
        guard let part = try await reader.nextFilePart() else { return (nil, []) }
        var collected: [UInt8] = []
        for try await piece in reader.fileBytes { collected += Array(piece.readableBytesView) }
        return (part, collected)
    }

    @Test("the file part after text fields, byte-exact at every chunk size, CR LF and dashes included")
    func filePartAtAnyChunking() async throws {
        let content: [UInt8] = Array("line\r\n--XyZ12 not a boundary\r\n\r\n-".utf8) + (0...255).map(UInt8.init) + [13, 10, 45, 45]
        let body = Self.form([
            ("Content-Disposition: form-data; name=\"chat_id\"", Array("42".utf8)),
            ("Content-Disposition: form-data; name=\"file\"; filename=\"C:\\fakepath\\a b.bin\"\r\nContent-Type: application/octet-stream", content),
        ])
        for chunk in [1, 2, 3, 7, 64, body.count] {
            let (part, bytes) = try await Self.read(body, chunk: chunk)
            #expect(part?.filename == "C:\\fakepath\\a b.bin")
            #expect(part?.contentType == "application/octet-stream")
            #expect(bytes == content, "chunk size \(chunk)")
        }
    }

    @Test("an empty file part, a file part under another name, and no file part at all")
    func partSelection() async throws {
        let empty = try await Self.read(Self.form([("Content-Disposition: form-data; name=\"file\"; filename=\"e.txt\"", [])]), chunk: 5)
        #expect(empty.0?.filename == "e.txt")
        #expect(empty.1.isEmpty)
        let other = try await Self.read(Self.form([("Content-Disposition: form-data; name=\"upload\"; filename=\"o.txt\"", Array("o".utf8))]), chunk: 5)
        #expect(other.0?.filename == "o.txt")
        #expect(other.1 == Array("o".utf8))
        let none = try await Self.read(Self.form([("Content-Disposition: form-data; name=\"text\"", Array("t".utf8))]), chunk: 5)
        #expect(none.0 == nil)
    }

    @Test("a body cut inside the file part is malformed; one over the limit is too large")
    func failures() async throws {
        let body = Self.form([("Content-Disposition: form-data; name=\"file\"; filename=\"a\"", Array(repeating: 65, count: 1000))])
        await #expect(throws: MultipartFileReader<Chunks.AsyncIterator>.ReadError.malformed) {
            _ = try await Self.read(Array(body.prefix(500)), chunk: 64)
        }
        await #expect(throws: MultipartFileReader<Chunks.AsyncIterator>.ReadError.tooLarge) {
            _ = try await Self.read(body, chunk: 64, limit: 600)
        }
    }

    @Test("boundary parameter of the Content-Type")
    func boundaryParameter() {
        #expect(MultipartBoundary.parse(contentType: "multipart/form-data; boundary=abc") == "abc")
        #expect(MultipartBoundary.parse(contentType: "Multipart/Form-Data; charset=utf-8; boundary=\"a b\"") == "a b")
        #expect(MultipartBoundary.parse(contentType: "application/json") == nil)
        #expect(MultipartBoundary.parse(contentType: "multipart/form-data") == nil)
        #expect(MultipartBoundary.parse(contentType: nil) == nil)
    }
}
