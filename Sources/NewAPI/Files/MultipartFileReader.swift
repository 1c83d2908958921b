import Hummingbird
import MultipartKit
import NIOCore

/// Reads a `multipart/form-data` request body as a stream and hands out the bytes of its file
/// part as they arrive, so an upload is never held in memory (jwt-api.md §3.5.1, D-23).
///
/// The part taken is the first one named `file` or carrying a `filename`; parts before it (text
/// fields) are skipped. Streaming cannot look ahead, so unlike the contract's wording a file part
/// under another name that comes *before* a part named `file` is the one used (docs/files.md).
///
/// Pull-based: a request chunk is read only when the consumer asks for more bytes, so a slow
/// object store slows the client down instead of filling memory.
final class MultipartFileReader<Body: AsyncIteratorProtocol> where Body.Element == ByteBuffer {
    struct FilePart {
        let filename: String
        let contentType: String?
    }

    enum ReadError: Error {
        /// Not multipart, a syntax error, or the body ended inside the file part.
        case malformed
        /// The request body grew past `limit` bytes (framing included).
        case tooLarge
    }

    private enum Event {
        case header(name: String, value: String)
        case body(ByteBuffer)
        case partEnd
    }

    private var body: Body
    private let parser: MultipartParser
    private var events: [Event] = []
    private var received = 0
    private let limit: Int
    private var bodyEnded = false
    private var pendingBody = ByteBuffer()

    init(body: Body, boundary: String, limit: Int) {
        self.body = body
        self.parser = MultipartParser(boundary: boundary)
        self.limit = limit
        parser.onHeader = { [unowned self] name, value in
            flushBody()
            events.append(.header(name: name, value: value))
        }
        // The parser cuts the body at every CR byte; the pieces are gathered in place (no copy of
        // what was gathered so far) and become one event per request chunk.
        parser.onBody = { [unowned self] chunk in pendingBody.writeBuffer(&chunk) }
        parser.onPartComplete = { [unowned self] in
            flushBody()
            events.append(.partEnd)
        }
    }

    private func flushBody() {
        guard pendingBody.readableBytes > 0 else { return }
        events.append(.body(pendingBody))
        pendingBody = ByteBuffer()
    }

    /// Skips to the file part and returns its headers; nil when the body has none.
    func nextFilePart() async throws -> FilePart? {
        var headers: [(String, String)] = []
        while true {
            guard let event = try await nextEvent() else { return nil }
            switch event {
            case .header(let name, let value):
                headers.append((name, value))
            case .body(let chunk):
                if let part = Self.filePart(headers) {
                    events.insert(.body(chunk), at: 0)
                    return part
                }
            case .partEnd:
                if let part = Self.filePart(headers) {
                    events.insert(.partEnd, at: 0)
                    return part
                }
                headers = []
            }
        }
    }

    /// The file part's bytes, ending at its closing boundary. Call after ``nextFilePart()``.
    var fileBytes: FileBytes { FileBytes(reader: self) }

    struct FileBytes: AsyncSequence {
        typealias Element = ByteBuffer
        let reader: MultipartFileReader

        struct AsyncIterator: AsyncIteratorProtocol {
            let reader: MultipartFileReader
            var finished = false

            mutating func next() async throws -> ByteBuffer? {
                guard !finished else { return nil }
                while true {
                    guard let event = try await reader.nextEvent() else { throw ReadError.malformed }
                    switch event {
                    case .body(let chunk): return chunk
                    case .partEnd:
                        finished = true
                        return nil
                    case .header: throw ReadError.malformed
                    }
                }
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }

    /// The next parser event, reading request chunks as needed; nil at the end of the body.
    private func nextEvent() async throws -> Event? {
        while events.isEmpty {
            guard !bodyEnded, let chunk = try await body.next() else {
                bodyEnded = true
                return nil
            }
            received += chunk.readableBytes
            guard received <= limit else { throw ReadError.tooLarge }
            do {
                try parser.execute(chunk)
            } catch {
                throw ReadError.malformed
            }
            flushBody()
        }
        return events.removeFirst()
    }

    /// The part's name and filename from its `Content-Disposition`; a part is a file part when it
    /// is named `file` or has a filename.
    private static func filePart(_ headers: [(String, String)]) -> FilePart? {
        guard let disposition = headers.first(where: { $0.0.lowercased() == "content-disposition" })?.1 else { return nil }
        let parameters = DispositionParameters(disposition)
        guard parameters.name == "file" || parameters.filename != nil else { return nil }
        let contentType = headers.first(where: { $0.0.lowercased() == "content-type" })?.1
        return FilePart(filename: parameters.filename ?? "file", contentType: contentType)
    }
}

/// `name` and `filename` of a part's `Content-Disposition: form-data; name="file"; filename="a.txt"`.
struct DispositionParameters {
    var name: String?
    var filename: String?

    init(_ header: String) {
        var rest = Substring(header)
        // Skip the disposition type.
        guard let firstSemicolon = rest.firstIndex(of: ";") else { return }
        rest = rest[rest.index(after: firstSemicolon)...]
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "\t" || $0 == ";" }
            guard let equals = rest.firstIndex(of: "=") else { return }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                // Browsers percent-encode quotes in names (HTML §4.10.21.8) and escape nothing
                // else, so a backslash is kept: `C:\fakepath\a.txt` stays whole.
                rest = rest.dropFirst()
                let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                value = String(rest[..<end])
                rest = end < rest.endIndex ? rest[rest.index(after: end)...] : rest[end...]
            } else {
                let end = rest.firstIndex(of: ";") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            switch key {
            case "name": name = value
            case "filename": filename = value
            default: break
            }
        }
    }
}
