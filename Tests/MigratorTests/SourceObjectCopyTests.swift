import Foundation
import MessengerCore
import Testing
import TestSupport

/// issue #7: avatars and sticker images that live in another object store than the gateway's are
/// copied from it (`--source-objects-dir`, `--source-objects-url`), each once, and a missing one
/// is a listed problem, never an abort.
@Suite("migrator copies legacy objects from another store (real binary, real stores)")
struct SourceObjectCopyTests {
    static func avatarKey(_ userID: Int) -> String {
        "avatars/\(userID)/\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)).png"
    }

    /// Three users with avatars and two stickers; the objects' keys are unique to the test.
    static func fixture(avatars: [String], stickers: [String]) throws -> LegacyFixture {
        let fixture = try LegacyFixture(.v2)
        let q = LegacyFixture.quote
        try fixture.execute("""
            INSERT INTO users (id, username, password_hash, avatar_path, created_at) VALUES
              (1, 'alice', 'x$y$z', \(q(avatars[0])), '2024-01-01 00:00:00'),
              (2, 'bob', 'x$y$z', \(q(avatars[1])), '2024-01-01 00:00:00'),
              (3, 'carol', 'x$y$z', \(q(avatars[2])), '2024-01-01 00:00:00');
            INSERT INTO stickers (id, pack_name, label, file_path) VALUES (1, 'p', 'a', \(q(stickers[0]))), (2, 'p', 'b', \(q(stickers[1])));
            """)
        return fixture
    }

    static func text(_ store: any BlobStore, _ bucket: String, _ key: String) async throws -> String? {
        try await store.get(bucket: bucket, key: key, maximumBytes: 1 << 20).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("source = a <bucket>/<key> directory, target = S3: copied once, the target's own copy kept, a missing one listed")
    func fromDirectoryToS3() async throws {
        try await ScratchDatabase.with { database, client in
            let sourceDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("legacy-objects-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: sourceDirectory) }
            let source = LocalBlobStore(root: sourceDirectory)
            let migrator = try MigratorProcess(databaseURL: database.url)
            let target = try migrator.blobs
            let tag = UUID().uuidString.lowercased().prefix(8)
            let avatars = [Self.avatarKey(1), Self.avatarKey(2), Self.avatarKey(3)]
            let stickers = ["stickers/\(tag)-one.svg", "stickers/\(tag)-two.svg"]
            try await source.put(bucket: "bh-avatars", key: avatars[0], data: Data("alice-avatar".utf8), contentType: "image/png")
            // avatars[1] is nowhere. avatars[2] is in both stores with different bytes: the target's stays.
            try await source.put(bucket: "bh-avatars", key: avatars[2], data: Data("carol-in-source".utf8), contentType: "image/png")
            try await target.put(bucket: "bh-avatars", key: avatars[2], data: Data("carol-in-target".utf8), contentType: "image/png")
            for key in stickers {
                try await source.put(bucket: "bh-stickers", key: key, data: Data("<svg>\(key)</svg>".utf8), contentType: "image/svg+xml")
            }
            let fixture = try Self.fixture(avatars: avatars, stickers: stickers)

            let run = try await migrator.run("run", legacy: fixture, arguments: ["--source-objects-dir", sourceDirectory.path])
            #expect(run.status == 2, "\(run.output)")
            #expect(run.problems.count == 1, "\(run.problems)")
            #expect(run.hasProblem("users", 2, containing: "avatar object bh-avatars/\(avatars[1]) is missing"))
            #expect(try await Self.text(target, "bh-avatars", avatars[0]) == "alice-avatar")
            #expect(try await Self.text(target, "bh-avatars", avatars[1]) == nil)
            #expect(try await Self.text(target, "bh-avatars", avatars[2]) == "carol-in-target")
            for key in stickers {
                #expect(try await Self.text(target, "bh-stickers", key) == "<svg>\(key)</svg>")
            }
            #expect(try await MigratorRunTests.scalar(
                client, "SELECT f.size_bytes FROM users u JOIN files f ON f.id = u.avatar_file_id WHERE u.id = 1", as: Int64.self) == 12)
            #expect(try await MigratorRunTests.scalar(client, "SELECT count(*) FROM files", as: Int.self) == 5)

            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 4, "\(verified.output)")
            let missing = verified.report["objects_missing"] as? [[String: Any]] ?? []
            #expect(missing.map { $0["key"] as? String } == [avatars[1]])

            let again = try await migrator.run("run", legacy: fixture, arguments: ["--source-objects-dir", sourceDirectory.path])
            #expect(again.status == 0, "\(again.output)")
            #expect((again.report["rows_written"] as? NSNumber)?.intValue == 0)
            #expect(try await Self.text(target, "bh-avatars", avatars[2]) == "carol-in-target")
        }
    }

    @Test("source = another S3 endpoint (keys in SOURCE_S3_*), target = local blob dir; dry run copies nothing")
    func fromS3ToDirectory() async throws {
        try await MigratorProcess.withLocalBlobs { database, _, migrator in
            let target = try migrator.blobs
            let settings = try S3TestBucket.settings()
            let source = S3BlobStore(settings: settings)
            let tag = UUID().uuidString.lowercased().prefix(8)
            let avatars = [Self.avatarKey(1), Self.avatarKey(2), Self.avatarKey(3)]
            let stickers = ["stickers/\(tag)-one.svg", "stickers/\(tag)-two.svg"]
            for (index, key) in avatars.enumerated() {
                try await source.put(bucket: "bh-avatars", key: key, data: Data("avatar-\(index)".utf8), contentType: "image/png")
            }
            for key in stickers {
                try await source.put(bucket: "bh-stickers", key: key, data: Data("<svg/>".utf8), contentType: "image/svg+xml")
            }
            let fixture = try Self.fixture(avatars: avatars, stickers: stickers)
            let arguments = ["--source-objects-url", settings.endpoint]
            let keys = ["SOURCE_S3_ACCESS_KEY": settings.accessKey, "SOURCE_S3_SECRET_KEY": settings.secretKey]

            let withoutKeys = try await migrator.run("run", legacy: fixture, arguments: arguments)
            #expect(withoutKeys.status == 64, "\(withoutKeys.output)")
            #expect(withoutKeys.output.contains("SOURCE_S3_ACCESS_KEY"))

            let dry = try await migrator.run("run", legacy: fixture, arguments: arguments + ["--dry-run"], extra: keys)
            #expect(dry.status == 0, "\(dry.output)")
            #expect(try await target.exists(bucket: "bh-avatars", key: avatars[0]) == false)

            let run = try await migrator.run("run", legacy: fixture, arguments: arguments, extra: keys)
            #expect(run.status == 0, "\(run.output)")
            for (index, key) in avatars.enumerated() {
                #expect(try await Self.text(target, "bh-avatars", key) == "avatar-\(index)")
            }
            for key in stickers {
                #expect(try await Self.text(target, "bh-stickers", key) == "<svg/>")
            }
            let verified = try await migrator.run("verify", legacy: fixture)
            #expect(verified.status == 0, "\(verified.output)")
        }
    }
}
