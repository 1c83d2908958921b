import CHiredis
import Foundation

/// One blocking hiredis connection. Not thread-safe: its owner guarantees that only one thread
/// uses it at a time (hence `@unchecked Sendable`: ownership moves between threads, use never
/// overlaps), and that calls never run on an event-loop thread.
final class RedisConnection: @unchecked Sendable {
    private var context: UnsafeMutablePointer<redisContext>

    init(settings: RedisSettings, timeout: Duration) throws {
        let timeval = Self.timeval(timeout)
        guard let context = redisConnectWithTimeout(settings.host, Int32(settings.port), timeval) else {
            throw RedisError("cannot allocate a connection")
        }
        if context.pointee.err != 0 {
            let message = Self.errorString(context)
            redisFree(context)
            throw RedisError("connect to \(settings.host):\(settings.port) failed: \(message)")
        }
        redisSetTimeout(context, timeval)
        self.context = context
        if let password = settings.password {
            try expectOK(command(["AUTH", password]))
        }
        if settings.database != 0 {
            try expectOK(command(["SELECT", String(settings.database)]))
        }
    }

    deinit {
        redisFree(context)
    }

    /// Sends one command and waits for its reply. A transport error leaves the connection unusable.
    func command(_ arguments: [String]) throws -> RedisReply {
        let raw = Self.withArgv(arguments) { count, argv, lengths in
            redisCommandArgv(context, count, argv, lengths)
        }
        guard let raw else {
            throw RedisError("connection failed: \(Self.errorString(context))")
        }
        defer { freeReplyObject(raw) }
        return Self.decode(raw.assumingMemoryBound(to: redisReply.self))
    }

    // Pub/sub: the subscriber connection interleaves writes and reads on one thread and waits
    // for input with poll(2) itself, so it can be woken to send a command.

    /// The socket, for poll(2).
    var fileDescriptor: Int32 { context.pointee.fd }

    /// Writes a command without waiting for its reply (SUBSCRIBE, UNSUBSCRIBE, PING in
    /// subscribed mode). The socket is blocking, so this returns once everything is written.
    func send(_ arguments: [String]) throws {
        let status = Self.withArgv(arguments) { count, argv, lengths in
            redisAppendCommandArgv(context, count, argv, lengths)
        }
        guard status == REDIS_OK else { throw RedisError("write failed: \(Self.errorString(context))") }
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else {
                throw RedisError("write failed: \(Self.errorString(context))")
            }
        }
    }

    /// Reads what the socket holds (call only when poll(2) reported it readable) and returns every
    /// complete reply received so far. Throws when the connection closed or failed.
    func readAvailableReplies() throws -> [RedisReply] {
        guard redisBufferRead(context) == REDIS_OK else {
            throw RedisError("connection lost: \(Self.errorString(context))")
        }
        var replies: [RedisReply] = []
        while true {
            var raw: UnsafeMutableRawPointer?
            guard redisReaderGetReply(context.pointee.reader, &raw) == REDIS_OK else {
                throw RedisError("protocol error")
            }
            guard let raw else { return replies }
            replies.append(Self.decode(raw.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(raw)
        }
    }

    /// hiredis takes binary-safe arguments as parallel arrays of pointers and lengths.
    private static func withArgv<Result>(
        _ arguments: [String],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>?, UnsafeMutablePointer<Int>?) -> Result
    ) -> Result {
        let encoded = arguments.map { Array($0.utf8) }
        var lengths = encoded.map(\.count)
        let pointers = encoded.map { bytes -> UnsafeMutablePointer<CChar> in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress {
                    pointer.initialize(from: base.assumingMemoryBound(to: CChar.self), count: bytes.count)
                }
            }
            return pointer
        }
        defer { pointers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = pointers.map { UnsafePointer($0) }
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeMutableBufferPointer { lengthBuffer in
                body(Int32(arguments.count), argvBuffer.baseAddress, lengthBuffer.baseAddress)
            }
        }
    }

    private func expectOK(_ reply: RedisReply) throws {
        if case .error(let message) = reply { throw RedisError(message) }
    }

    private static func decode(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            return .string(text(value))
        case REDIS_REPLY_STATUS:
            return .status(text(value))
        case REDIS_REPLY_ERROR:
            return .error(text(value))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(decode(element)) }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func text(_ reply: redisReply) -> String {
        guard let pointer = reply.str else { return "" }
        let buffer = UnsafeRawBufferPointer(start: pointer, count: Int(reply.len))
        return String(decoding: buffer, as: UTF8.self)
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { bytes in
            let prefix = bytes.prefix { $0 != 0 }
            return String(decoding: prefix, as: UTF8.self)
        }
    }

    private static func timeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
