import NIOCore

/// The bytes of an upload after its head was read for sniffing: the head, then the rest of the
/// client's stream, counted against the size limit as they pass. Iterated once, by the blob store.
///
/// Errors of the client's stream and the limit are wrapped in ``UploadSourceFailure`` so the file
/// service can tell "the upload was bad" (nothing stored, the client's fault) from "the store
/// failed" (502/503).
struct UploadContent<Base: AsyncIteratorProtocol>: AsyncSequence where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer

    let head: ByteBuffer
    let rest: Base?
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var head: ByteBuffer?
        var rest: Base?
        let limit: Int
        var count: Int

        mutating func next() async throws -> ByteBuffer? {
            if let pending = head {
                head = nil
                if pending.readableBytes > 0 { return pending }
            }
            guard rest != nil else { return nil }
            let chunk: ByteBuffer?
            do {
                chunk = try await rest?.next()
            } catch {
                throw UploadSourceFailure(underlying: error)
            }
            guard let chunk else {
                rest = nil
                return nil
            }
            count += chunk.readableBytes
            if count > limit { throw UploadSourceFailure(underlying: FileError.tooLarge(limitBytes: limit)) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(head: head, rest: rest, limit: limit, count: head.readableBytes)
    }
}

/// An error of the upload itself (its stream failed or it grew past the limit), carried through
/// the blob store unchanged.
struct UploadSourceFailure: Error {
    let underlying: any Error
}
