import Foundation
import Logging
import MessengerCore
import NIOCore
import PostgresNIO
import Testing
import TestSupport

/// Bytes as a stream of chunks, the way a request body arrives; optionally failing midway.
struct ChunkStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let data: [UInt8]
    var chunkSize = 64 << 10
    /// Throw ``Broken`` after this many bytes.
    var failAfter: Int?

    struct Broken: Error {}

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: ChunkStream
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            if let failAfter = stream.failAfter, offset >= failAfter { throw Broken() }
            guard offset < stream.data.count else { return nil }
            let end = Swift.min(offset + stream.chunkSize, stream.data.count)
            defer { offset = end }
            return ByteBuffer(bytes: stream.data[offset..<end])
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(stream: self) }

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        // A leading NUL keeps it binary whatever follows.
        return [0] + (1..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }
}

@Suite("File service: streamed uploads, object before row, read access (real PostgreSQL, local disk)")
struct FileServiceTests {
    let logger = Logger(label: "tests")

    static func storedObjects(_ core: CoreServices) -> [String] {
        guard let store = core.blobs as? LocalBlobStore,
              let enumerator = FileManager.default.enumerator(at: store.root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [] }
        return enumerator.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .map { String($0.path.dropFirst(store.root.path.count)) }
    }

    @Test("an attachment is stored as uploads/<uuid>_<sanitised name> in the uploads bucket with its real size and sniffed type")
    func storesAttachment() async throws {
        try await TestCoreServices.with { core, client in
            let uploader = try await UserFixtureRows(client: client).user("ann")
            let data = Array("plain text, nothing more\n".utf8)
            let stored = try await FileService(core: core).store(
                UploadRequest(uploaderID: uploader, purpose: .attachment, filename: "../../etc/pass\u{7}wd.txt", claimedType: "text/plain"),
                content: ChunkStream(data: data, chunkSize: 5))
            #expect(stored.bucket == core.buckets.uploads)
            #expect(stored.objectKey.wholeMatch(of: /uploads\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_pass_wd\.txt/) != nil)
            #expect(stored.filename == "../../etc/passwd.txt")
            #expect(stored.mimeType == "text/plain")
            #expect(stored.sizeBytes == Int64(data.count))
            #expect(try await core.blobs.get(bucket: stored.bucket, key: stored.objectKey, maximumBytes: 1 << 20) == Data(data))
            #expect(Self.storedObjects(core) == ["/\(stored.bucket)/\(stored.objectKey)"])
        }
    }

    @Test("voice and avatar keys follow the shared storage conventions")
    func legacyKeys() async throws {
        try await TestCoreServices.with { core, client in
            let uploader = try await UserFixtureRows(client: client).user("ann")
            let files = FileService(core: core)
            let voice = try await files.store(
                UploadRequest(uploaderID: uploader, purpose: .voice, filename: "voice.webm", claimedType: "video/webm"),
                content: ChunkStream(data: UploadTypePolicyTests.ogg + ChunkStream.random(3000)))
            #expect(voice.bucket == core.buckets.uploads)
            #expect(voice.objectKey.wholeMatch(of: /voice\/voice_\d+_[0-9a-f]{8}\.ogg/) != nil)
            #expect(voice.mimeType == "audio/ogg")
            #expect(try await files.file(bucket: core.buckets.uploads, objectKey: voice.objectKey) == voice)
            let avatar = try await files.store(
                UploadRequest(uploaderID: uploader, purpose: .avatar, filename: "me.PNG", claimedType: "image/png"),
                content: ChunkStream(data: UploadTypePolicyTests.png))
            #expect(avatar.bucket == core.buckets.avatars)
            #expect(avatar.objectKey.wholeMatch(of: /avatars\/\d+\/[0-9a-f]{12}\.png/) != nil)
        }
    }

    @Test("too large, refused types and a failing stream store nothing")
    func refusalsStoreNothing() async throws {
        try await TestCoreServices.with { core, client in
            let uploader = try await UserFixtureRows(client: client).user("ann")
            let files = FileService(core: core)
            let big = ChunkStream.random(300_000)
            await #expect(throws: FileError.tooLarge(limitBytes: 100_000)) {
                try await files.store(
                    UploadRequest(uploaderID: uploader, purpose: .attachment, filename: "a.bin", claimedType: nil, maximumBytes: 100_000),
                    content: ChunkStream(data: big))
            }
            await #expect(throws: FileError.unsupportedType) {
                try await files.store(
                    UploadRequest(uploaderID: uploader, purpose: .attachment, filename: "x.html", claimedType: "text/plain"),
                    content: ChunkStream(data: Array("<html><script>alert(1)</script>".utf8)))
            }
            await #expect(throws: FileError.contentMismatch) {
                try await files.store(
                    UploadRequest(uploaderID: uploader, purpose: .attachment, filename: "x.png", claimedType: "image/png"),
                    content: ChunkStream(data: big))
            }
            await #expect(throws: ChunkStream.Broken.self) {
                try await files.store(
                    UploadRequest(uploaderID: uploader, purpose: .attachment, filename: "a.bin", claimedType: nil),
                    content: ChunkStream(data: big, failAfter: 200_000))
            }
            #expect(Self.storedObjects(core).isEmpty)
            #expect(try await UserFixtureRows(client: client).scalar("SELECT count(*) FROM files", as: Int.self) == 0)
        }
    }

    @Test("when the row cannot be written the object is removed again")
    func rowFailureRemovesObject() async throws {
        try await TestCoreServices.with { core, _ in
            // No such user: the files insert fails on its foreign key after the object was stored.
            await #expect(throws: PSQLError.self) {
                try await FileService(core: core).store(
                    UploadRequest(uploaderID: 987_654, purpose: .attachment, filename: "a.txt", claimedType: nil),
                    content: ChunkStream(data: Array("hello".utf8)))
            }
            #expect(Self.storedObjects(core).isEmpty)
        }
    }

    @Test("readers: uploader, current chat members, anyone for avatars of active users and stickers")
    func readAccess() async throws {
        try await TestCoreServices.with { core, client in
            let rows = UserFixtureRows(client: client)
            let ann = try await rows.user("ann")
            let bob = try await rows.user("bob")
            let eve = try await rows.user("eve")
            let files = FileService(core: core)
            let attachment = try await rows.file(uploader: ann, filename: "a.pdf", mimeType: "application/pdf")
            let avatar = try await rows.file(uploader: ann, filename: "a.png")
            let stranger = try await rows.file(uploader: eve, filename: "e.png")

            #expect(try await files.readableFile(id: attachment, by: ann)?.id == attachment)
            #expect(try await files.readableFile(id: attachment, by: bob) == nil)
            #expect(try await files.readableFile(id: 99_999_999, by: ann) == nil)

            let chat = try await rows.insert("INSERT INTO chats (type, owner_id) VALUES ('group', \(ann)) RETURNING id")
            try await client.query("INSERT INTO chat_members (chat_id, user_id) VALUES (\(chat), \(ann)), (\(chat), \(bob))", logger: logger)
            try await client.query(
                "INSERT INTO messages (chat_id, sender_id, content, message_type, file_id) VALUES (\(chat), \(ann), '', 'file', \(attachment))",
                logger: logger)
            #expect(try await files.readableFile(id: attachment, by: bob)?.id == attachment)
            #expect(try await files.readableFile(id: attachment, by: eve) == nil)
            try await client.query("DELETE FROM chat_members WHERE chat_id = \(chat) AND user_id = \(bob)", logger: logger)
            #expect(try await files.readableFile(id: attachment, by: bob) == nil)

            #expect(try await files.readableFile(id: avatar, by: eve) == nil)
            try await client.query("UPDATE users SET avatar_file_id = \(avatar) WHERE id = \(ann)", logger: logger)
            #expect(try await files.readableFile(id: avatar, by: eve)?.id == avatar)
            try await client.query("UPDATE users SET is_active = false WHERE id = \(ann)", logger: logger)
            #expect(try await files.readableFile(id: avatar, by: eve) == nil)

            #expect(try await files.readableFile(id: stranger, by: bob) == nil)
            let pack = try await rows.insert("INSERT INTO sticker_packs (name) VALUES ('p') RETURNING id")
            try await client.query("INSERT INTO stickers (pack_id, label, file_id) VALUES (\(pack), 'x', \(stranger))", logger: logger)
            #expect(try await files.readableFile(id: stranger, by: bob)?.id == stranger)
        }
    }
}

@Suite("S3 blob store against the real S3 server: single PUT, multipart, abort, failures")
struct S3BlobStoreTests {
    @Test("a stream larger than one part goes up as a multipart upload and reads back whole")
    func multipartRoundTrip() async throws {
        let bucket = try await S3TestBucket.create()
        let store = S3BlobStore(settings: bucket.settings, partSize: 5 << 20)
        let data = ChunkStream.random(11 << 20 + 12_345)
        let size = try await store.write(bucket: bucket.name, key: "big/object.bin", contentType: "application/octet-stream",
                                         chunks: ChunkStream(data: data))
        #expect(size == Int64(data.count))
        #expect(try await store.get(bucket: bucket.name, key: "big/object.bin", maximumBytes: 32 << 20) == Data(data))

        let small = Array("tiny".utf8)
        #expect(try await store.write(bucket: bucket.name, key: "small.txt", contentType: "text/plain", chunks: ChunkStream(data: small)) == 4)
        #expect(try await store.exists(bucket: bucket.name, key: "small.txt"))
        try await store.delete(bucket: bucket.name, key: "small.txt")
        #expect(try await !store.exists(bucket: bucket.name, key: "small.txt"))
        try await store.delete(bucket: bucket.name, key: "small.txt")
        #expect(try await store.get(bucket: bucket.name, key: "small.txt", maximumBytes: 10) == nil)
    }

    @Test("a stream failing midway leaves no object, in one part or several")
    func failedStreamLeavesNothing() async throws {
        let bucket = try await S3TestBucket.create()
        let store = S3BlobStore(settings: bucket.settings, partSize: 5 << 20)
        let data = ChunkStream.random(12 << 20)
        for failAfter in [1 << 20, 11 << 20] {
            await #expect(throws: ChunkStream.Broken.self) {
                try await store.write(bucket: bucket.name, key: "broken.bin", contentType: "application/octet-stream",
                                      chunks: ChunkStream(data: data, failAfter: failAfter))
            }
        }
        #expect(try await bucket.keys().isEmpty)
    }

    @Test("an unreachable store and a refused request are told apart")
    func failures() async throws {
        let settings = try S3TestBucket.settings()
        let down = S3BlobStore(settings: ObjectStoreSettings(
            endpoint: "http://127.0.0.1:\(try GatewayProcess.freePort())", accessKey: settings.accessKey, secretKey: settings.secretKey))
        await #expect(throws: BlobStoreError.unreachable(operation: "PUT")) {
            try await down.put(bucket: "messenger-files", key: "x", data: Data("x".utf8), contentType: "text/plain")
        }
        let wrongKey = S3BlobStore(settings: ObjectStoreSettings(
            endpoint: settings.endpoint, accessKey: settings.accessKey, secretKey: "not-the-secret"))
        do {
            try await wrongKey.put(bucket: "messenger-files", key: "x", data: Data("x".utf8), contentType: "text/plain")
            Issue.record("a wrongly signed PUT was accepted")
        } catch BlobStoreError.unexpectedStatus(let status, _) {
            #expect(status == 403)
        }
    }
}
