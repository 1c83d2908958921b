import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO
import Testing
import TestSupport

/// Where the gateway under test keeps objects, and how a test lists what it stored.
enum ObjectStoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case s3, localDisk

    var testDescription: String { rawValue }
}

/// A gateway over one store, with a way to list every object it has written.
struct FileGateway: Sendable {
    let gateway: GatewayProcess
    let client: PostgresClient
    let kind: ObjectStoreKind
    let storedKeys: @Sendable () async throws -> [String]

    /// An object URL the gateway handed out, made absolute (local-disk URLs are root-relative).
    func absolute(_ url: String) -> String {
        url.hasPrefix("/") ? gateway.baseURL + url : url
    }

    static func with(
        _ kind: ObjectStoreKind, environment extra: [String: String] = [:],
        _ body: @Sendable (FileGateway) async throws -> Void
    ) async throws {
        var environment = ["RATE_LIMIT_ENABLED": "false"]
        let storedKeys: @Sendable () async throws -> [String]
        let blobDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: blobDirectory) }
        switch kind {
        case .s3:
            let bucket = try await S3TestBucket.create()
            environment.merge(try ObjectURLProbe.gatewayEnvironment()) { $1 }
            environment["MINIO_UPLOADS_BUCKET"] = bucket.name
            storedKeys = { try await bucket.keys() }
        case .localDisk:
            environment["BLOB_DIR"] = blobDirectory.path
            storedKeys = {
                guard let files = FileManager.default.enumerator(at: blobDirectory, includingPropertiesForKeys: [.isRegularFileKey])
                else { return [] }
                return files.compactMap { $0 as? URL }
                    .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
                    .map(\.lastPathComponent)
            }
        }
        environment.merge(extra) { $1 }
        let gatewayEnvironment = environment
        try await ScratchDatabase.with { database, client in
            try await GatewayProcess.with(databaseURL: database.url, environment: gatewayEnvironment) { gateway in
                try await body(FileGateway(gateway: gateway, client: client, kind: kind, storedKeys: storedKeys))
            }
        }
    }

    func fileRowCount() async throws -> Int {
        let rows = try await client.query("SELECT count(*)::int FROM files", logger: Logger(label: "tests"))
        for try await count in rows.decode(Int.self) { return count }
        return 0
    }
}

/// multipart/form-data bodies as browsers send them.
enum MultipartForm {
    static let boundary = "----TestBoundary7MA4YWxkTrZu0gW"
    static let contentType = "multipart/form-data; boundary=\(boundary)"

    static func body(fileField: String = "file", filename: String, type: String?, data: [UInt8], textFields: [(String, String)] = []) -> Data {
        var body = Data()
        for (name, value) in textFields {
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
        }
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(fileField)\"; filename=\"\(filename)\"\r\n"
        if let type { head += "Content-Type: \(type)\r\n" }
        body.append(Data((head + "\r\n").utf8))
        body.append(Data(data))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        return body
    }
}

@Suite("JWT API: files, downloads and attachments (real gateway binary; real S3 server and local disk)")
struct FileAPITests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 200)
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 1, count: 200)

    /// Generous timeout: the debug gateway parses multipart bytes slowly, and the suite shares
    /// the machine with builds (no timing is asserted).
    static func upload(
        _ session: APISession, filename: String, type: String?, data: [UInt8], fileField: String = "file"
    ) async throws -> HTTPTestClient.Reply {
        try await HTTPTestClient.request(
            session.baseURL + "/files", method: .POST,
            headers: [("Authorization", "Bearer \(session.accessToken)"), ("Content-Type", MultipartForm.contentType)],
            body: MultipartForm.body(fileField: fileField, filename: filename, type: type, data: data), timeout: .seconds(300))
    }

    static func uploadedID(_ reply: HTTPTestClient.Reply) throws -> Int64 {
        guard reply.status == 201, let id = (try reply.object()["id"] as? NSNumber)?.int64Value else {
            throw APISession.SessionError.unexpected("upload", reply.status, reply.text)
        }
        return id
    }

    static func error(_ reply: HTTPTestClient.Reply) -> String? {
        (try? reply.object())?["error"] as? String
    }

    static func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return [0] + (1..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test("upload → download round trip, the object fetched by plain HTTP from the signed URL", arguments: ObjectStoreKind.allCases)
    func roundTrip(kind: ObjectStoreKind) async throws {
        try await FileGateway.with(kind) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            // Larger than one S3 part, so the S3 run goes through a multipart upload.
            let big = Self.random(9 << 20 + 4321)
            let reply = try await Self.upload(ann, filename: "data.bin", type: "application/octet-stream", data: big)
            #expect(reply.status == 201)
            let object = try reply.object()
            #expect(object["filename"] as? String == "data.bin")
            #expect(object["mime_type"] as? String == "application/octet-stream")
            #expect((object["size_bytes"] as? NSNumber)?.intValue == big.count)
            // Acceptance checklist item 11's pattern.
            #expect((object["object_key"] as? String)?.wholeMatch(of: /uploads\/[0-9a-f-]{36}_data\.bin/) != nil)
            let id = try Self.uploadedID(reply)

            let redirect = try await ObjectURLProbe.get(ann.baseURL + "/files/\(id)/download", accessToken: ann.accessToken)
            #expect(redirect.status == 302)
            #expect(redirect.headers.first(name: "Cache-Control") == "no-store")
            let location = try #require(redirect.location)
            let fetched = try await HTTPTestClient.request(files.absolute(location), timeout: .seconds(120))
            #expect(fetched.status == 200)
            #expect(fetched.body == Data(big))

            // A text file downloads as an attachment under its sanitised name.
            let note = try await Self.upload(ann, filename: "my notes.txt", type: "text/plain", data: Array("hello\n".utf8))
            let noteURL = try #require(
                try await ObjectURLProbe.get(ann.baseURL + "/files/\(Self.uploadedID(note))/download", accessToken: ann.accessToken).location)
            // Both servers answer with the signed disposition (S3 through response-content-disposition).
            let served = try await HTTPTestClient.request(files.absolute(noteURL))
            #expect(served.text == "hello\n")
            #expect(served.headers.first(name: "Content-Disposition")?.hasPrefix("attachment; filename=\"my_notes.txt\"") == true)
            #expect(served.headers.first(name: "Content-Type") == "text/plain")
            if kind == .localDisk {
                #expect(served.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
            #expect(try await files.storedKeys().count == 2)
        }
    }

    @Test("tampered and expired object URLs are refused by the server that serves them", arguments: ObjectStoreKind.allCases)
    func tamperedAndExpired(kind: ObjectStoreKind) async throws {
        let lifetime = 20  // long enough for the first fetch on a loaded machine
        try await FileGateway.with(kind, environment: ["MINIO_PRESIGN_TTL": String(lifetime)]) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            let id = try Self.uploadedID(try await Self.upload(ann, filename: "n.txt", type: "text/plain", data: Array("secret\n".utf8)))
            let signedAt = ContinuousClock.now
            let location = try #require(
                try await ObjectURLProbe.get(ann.baseURL + "/files/\(id)/download", accessToken: ann.accessToken).location)
            let url = files.absolute(location)
            #expect(try await HTTPTestClient.request(url).status == 200)

            let signatureName = kind == .s3 ? "X-Amz-Signature=" : "signature="
            let signatureStart = try #require(url.range(of: signatureName)).upperBound
            let first = url[signatureStart]
            let tampered = url.replacingCharacters(in: signatureStart...signatureStart, with: first == "0" ? "1" : "0")
            #expect(try await HTTPTestClient.request(tampered).status >= 400)
            // Dropping the download disposition breaks the signature too.
            let withoutDisposition = url.replacingOccurrences(of: kind == .s3 ? "response-content-disposition=" : "disposition=", with: "x-ignored=")
            #expect(try await HTTPTestClient.request(withoutDisposition).status >= 400)

            // Past the lifetime (URLs carry whole seconds, hence the margin).
            try await Task.sleep(until: signedAt + .seconds(lifetime) + .seconds(2), clock: .continuous)
            let expired = try await HTTPTestClient.request(url)
            #expect(expired.status >= 400)
            #expect(!expired.text.contains("secret"))
        }
    }

    @Test("413, 415 and 400 refusals store nothing: no row, no object", arguments: ObjectStoreKind.allCases)
    func refusalsStoreNothing(kind: ObjectStoreKind) async throws {
        try await FileGateway.with(kind, environment: ["MAX_FILE_SIZE_MB": "1"]) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            let tooLarge = try await Self.upload(ann, filename: "big.bin", type: nil, data: Self.random(1 << 20 + 10))
            #expect(tooLarge.status == 413)
            #expect(Self.error(tooLarge) == "File too large (max 1 MB)")

            // Without a Content-Length the limit is enforced while streaming.
            var request = HTTPClientRequest(url: ann.baseURL + "/files")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(ann.accessToken)")
            request.headers.add(name: "Content-Type", value: MultipartForm.contentType)
            let body = MultipartForm.body(filename: "big.bin", type: nil, data: Self.random(3 << 20))
            let pieces = stride(from: 0, to: body.count, by: 64 << 10).map { ByteBuffer(bytes: body[$0..<min($0 + (64 << 10), body.count)]) }
            request.body = .stream(BufferSequence(buffers: pieces), length: .unknown)
            if let streamed = try? await HTTPClient.shared.execute(request, timeout: .seconds(30)) {
                #expect(streamed.status.code == 413)
            }

            let html = try await Self.upload(ann, filename: "x.html", type: "text/html", data: Array("<p>hi</p>".utf8))
            #expect(html.status == 415)
            #expect(Self.error(html) == "Unsupported file type")
            let disguised = try await Self.upload(ann, filename: "x.txt", type: "text/plain", data: Array("<!DOCTYPE html><script>1</script>".utf8))
            #expect(disguised.status == 415)
            let svg = try await Self.upload(ann, filename: "x.svg", type: nil, data: Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8))
            #expect(svg.status == 415)
            let mismatch = try await Self.upload(ann, filename: "x.png", type: "image/png", data: Self.jpeg)
            #expect(mismatch.status == 415)
            #expect(Self.error(mismatch) == "File content does not match its type")
            let noFile = try await HTTPTestClient.request(
                ann.baseURL + "/files", method: .POST,
                headers: [("Authorization", "Bearer \(ann.accessToken)"), ("Content-Type", "application/json")], body: Data("{}".utf8))
            #expect(noFile.status == 400)
            #expect(Self.error(noFile) == "No file uploaded (use multipart/form-data field 'file')")
            let unauthenticated = try await HTTPTestClient.request(
                ann.baseURL + "/files", method: .POST, headers: [("Content-Type", MultipartForm.contentType)],
                body: MultipartForm.body(filename: "a.txt", type: "text/plain", data: Array("a".utf8)))
            #expect(unauthenticated.status == 401)

            #expect(try await files.fileRowCount() == 0)
            #expect(try await files.storedKeys().isEmpty)
        }
    }

    @Test("downloads: uploader and chat members only (404 otherwise); attaching or avatar-ing another's file refused",
          arguments: ObjectStoreKind.allCases)
    func accessRules(kind: ObjectStoreKind) async throws {
        try await FileGateway.with(kind) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            let bob = try await APISession.register(on: files.gateway, username: "bob")
            let eve = try await APISession.register(on: files.gateway, username: "eve")
            let file = try Self.uploadedID(try await Self.upload(ann, filename: "photo.png", type: "image/png", data: Self.png))
            let download = "/files/\(file)/download"

            #expect(try await ObjectURLProbe.get(ann.baseURL + download, accessToken: ann.accessToken).status == 302)
            let hidden = try await ObjectURLProbe.get(ann.baseURL + download, accessToken: eve.accessToken)
            #expect(hidden.status == 404)
            #expect(hidden.body.contains("File not found"))
            #expect(try await ObjectURLProbe.get(ann.baseURL + "/files/99999999/download", accessToken: eve.accessToken).status == 404)
            #expect(try await ObjectURLProbe.get(ann.baseURL + "/files/abc/download", accessToken: ann.accessToken).status == 404)

            let chat = try await ann.request(.POST, "/chats", json: ["type": "direct", "member_ids": [bob.userID]])
            let chatID = try #require((try chat.object()["id"] as? NSNumber)?.int64Value)
            #expect(try await ObjectURLProbe.get(ann.baseURL + download, accessToken: bob.accessToken).status == 404)
            let sent = try await ann.request(.POST, "/chats/\(chatID)/messages", json: ["type": "file", "file_id": file])
            #expect(sent.status == 201)
            let shared = try await ObjectURLProbe.get(ann.baseURL + download, accessToken: bob.accessToken)
            #expect(shared.status == 302)
            #expect(try await HTTPTestClient.request(files.absolute(try #require(shared.location))).body == Data(Self.png))
            #expect(try await ObjectURLProbe.get(ann.baseURL + download, accessToken: eve.accessToken).status == 404)

            // D-2: bob may read the file, but attaching it or wearing it as an avatar is the uploader's alone.
            let reposted = try await bob.request(.POST, "/chats/\(chatID)/messages", json: ["type": "file", "file_id": file])
            #expect(reposted.status == 404)
            #expect(Self.error(reposted) == "File not found")
            let voice = try await bob.request(.POST, "/chats/\(chatID)/messages", json: ["type": "voice", "file_id": file, "duration_seconds": 3])
            #expect(voice.status == 404)
            let stolenAvatar = try await bob.request(.PUT, "/users/me/avatar", json: ["file_id": file])
            #expect(stolenAvatar.status == 404)
            #expect(Self.error(stolenAvatar) == "File not found")

            let pdf = try Self.uploadedID(try await Self.upload(ann, filename: "a.pdf", type: "application/pdf", data: Array("%PDF-1.4\n%%EOF".utf8)))
            let notImage = try await ann.request(.PUT, "/users/me/avatar", json: ["file_id": pdf])
            #expect(notImage.status == 400)
            #expect(Self.error(notImage) == "Avatar must be an image")
            let avatar = try await ann.request(.PUT, "/users/me/avatar", json: ["file_id": file])
            #expect(avatar.status == 200)
            let avatarURL = try #require(try avatar.object()["avatar_url"] as? String)
            #expect(try await HTTPTestClient.request(files.absolute(avatarURL)).body == Data(Self.png))
            #expect(try await ObjectURLProbe.get(ann.baseURL + "/users/\(ann.userID)/avatar", accessToken: eve.accessToken).status == 302)
            // An avatar is every signed-in user's to see, through the download route too.
            #expect(try await ObjectURLProbe.get(ann.baseURL + download, accessToken: eve.accessToken).status == 302)

            // A voice message: an audio upload attached by its uploader, with a duration.
            let ogg = Array("OggS".utf8) + [0, 2] + Array(repeating: 3, count: 300)
            let voiceUpload = try await Self.upload(ann, filename: "voice.ogg", type: "audio/ogg", data: ogg)
            #expect(try voiceUpload.object()["mime_type"] as? String == "audio/ogg")
            let voiceFile = try Self.uploadedID(voiceUpload)
            let voiceMessage = try await ann.request(
                .POST, "/chats/\(chatID)/messages", json: ["content": "", "type": "voice", "file_id": voiceFile, "duration_seconds": 4])
            #expect(voiceMessage.status == 201)
            #expect((try voiceMessage.object()["duration_seconds"] as? NSNumber)?.intValue == 4)
            #expect(try await ObjectURLProbe.get(ann.baseURL + "/files/\(voiceFile)/download", accessToken: bob.accessToken).status == 302)

            // The message list carries the attachment's URL and metadata to members.
            let page = try await bob.request(.GET, "/chats/\(chatID)/messages")
            let message = try #require((try page.json() as? [[String: Any]])?.first)
            #expect((message["file_id"] as? NSNumber)?.int64Value == file)
            #expect(message["mime_type"] as? String == "image/png")
            let attachmentURL = try #require(message["attachment_url"] as? String)
            #expect(try await HTTPTestClient.request(files.absolute(attachmentURL)).status == 200)
        }
    }

    @Test("object store down → 503 JSON, refusing store → 502 JSON; no row either way")
    func storeFailures() async throws {
        let settings = try S3TestBucket.settings()
        let down = ["S3_ENDPOINT": "http://127.0.0.1:\(try GatewayProcess.freePort())"]
        try await FileGateway.with(.s3, environment: down) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            let reply = try await Self.upload(ann, filename: "a.txt", type: "text/plain", data: Array("hello".utf8))
            #expect(reply.status == 503)
            #expect(Self.error(reply) == "Object storage unavailable")
            #expect(try await files.fileRowCount() == 0)
        }
        try await FileGateway.with(.s3, environment: ["S3_SECRET_KEY": settings.secretKey + "-wrong"]) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            let reply = try await Self.upload(ann, filename: "a.txt", type: "text/plain", data: Array("hello".utf8))
            #expect(reply.status == 502)
            #expect(Self.error(reply) == "Object storage upload failed")
            #expect(try await files.fileRowCount() == 0)
            #expect(try await files.storedKeys().isEmpty)
        }
    }

    @Test("sticker images from the local-disk store: served inline as SVG, sandboxed, through /blobs")
    func localStickerImages() async throws {
        let blobDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gateway-blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: blobDirectory) }
        try await ScratchDatabase.with(migrated: false) { database, _ in
            var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME"].contains($0.key) }
            environment.merge(TestEnvironment.secrets) { $1 }
            environment["DATABASE_URL"] = database.url
            environment["MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
            environment["STATIC_DIR"] = TestEnvironment.repositoryRoot.appendingPathComponent("static").path
            environment["BLOB_DIR"] = blobDirectory.path
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).log").path
            defer { try? FileManager.default.removeItem(atPath: log) }
            try await ChildProcess.run(TestEnvironment.executable("gateway").path, ["seed-demo"], environment: environment, logPath: log)

            try await GatewayProcess.with(
                databaseURL: database.url, environment: ["BLOB_DIR": blobDirectory.path, "RATE_LIMIT_ENABLED": "false"]
            ) { gateway in
                let caller = try await APISession.register(on: gateway, username: "sticky")
                let stickers = try #require(try await caller.request(.GET, "/stickers").json() as? [[String: Any]])
                #expect(stickers.count == 8)
                let id = try #require((stickers.first?["id"] as? NSNumber)?.int64Value)
                let redirect = try await ObjectURLProbe.get(gateway.baseURL + "/stickers/\(id)/image", accessToken: caller.accessToken)
                #expect(redirect.status == 302)
                let location = try #require(redirect.location)
                #expect(location.hasPrefix("/blobs/bh-stickers/stickers/"))
                let image = try await HTTPTestClient.request(gateway.baseURL + location)
                #expect(image.status == 200)
                #expect(image.headers.first(name: "Content-Type") == "image/svg+xml")
                #expect(image.headers.first(name: "Content-Disposition") == nil)
                #expect(image.headers.first(name: "Content-Security-Policy")?.contains("sandbox") == true)
                #expect(image.text.contains("<svg"))
                let ranged = try await HTTPTestClient.request(gateway.baseURL + location, headers: [("Range", "bytes=0-3")])
                #expect(ranged.status == 206)
                #expect(ranged.text == String(image.text.prefix(4)))
            }
        }
    }

    @Test("/blobs refuses paths outside the store and unsigned requests alike (local disk)")
    func localBlobRouteIsClosed() async throws {
        try await FileGateway.with(.localDisk) { files in
            let ann = try await APISession.register(on: files.gateway, username: "ann")
            let id = try Self.uploadedID(try await Self.upload(ann, filename: "n.txt", type: "text/plain", data: Array("x".utf8)))
            let location = try #require(
                try await ObjectURLProbe.get(ann.baseURL + "/files/\(id)/download", accessToken: ann.accessToken).location)
            let query = String(location[try #require(location.firstIndex(of: "?"))...])
            for path in ["/blobs/messenger-files/../../etc/passwd", "/blobs/messenger-files/%2e%2e/%2e%2e/etc/passwd",
                         "/blobs/..%2f..%2fetc/passwd", "/blobs/messenger-files/a\\..\\b"] {
                let reply = try await HTTPTestClient.request(files.gateway.baseURL + path + query)
                #expect(reply.status == 404)
            }
            let unsigned = location.components(separatedBy: "?")[0]
            #expect(try await HTTPTestClient.request(files.gateway.baseURL + unsigned).status == 404)
        }
    }
}

/// Request-body pieces as an async sequence, for uploads without a Content-Length.
struct BufferSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { remaining.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: buffers[...]) }
}
