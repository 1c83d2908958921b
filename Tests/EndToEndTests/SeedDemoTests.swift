import Foundation
import MessengerCore
import PostgresNIO
import Testing
import TestSupport

@Suite("gateway seed-demo (real binary, real S3)")
struct SeedDemoTests {
    @Test("fills an empty database once, uploads the sticker images, and leaves a populated one alone")
    func seedsOnce() async throws {
        let store = ObjectStoreSettings(
            endpoint: try TestEnvironment.required("S3_ENDPOINT"),
            accessKey: try TestEnvironment.required("S3_ACCESS_KEY"),
            secretKey: try TestEnvironment.required("S3_SECRET_KEY"),
            region: "us-east-1")
        let bucket = "bh-stickers"
        try await ScratchDatabase.with(migrated: false) { database, client in
            var environment = ProcessInfo.processInfo.environment.filter { ["PATH", "HOME"].contains($0.key) }
            environment.merge(TestEnvironment.secrets) { $1 }
            environment["DATABASE_URL"] = database.url
            environment["MIGRATIONS_DIR"] = TestEnvironment.migrationsDirectory.path
            environment["STATIC_DIR"] = TestEnvironment.repositoryRoot.appendingPathComponent("static").path
            environment["S3_ENDPOINT"] = store.endpoint
            environment["S3_ACCESS_KEY"] = store.accessKey
            environment["S3_SECRET_KEY"] = store.secretKey
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString).log").path
            defer { try? FileManager.default.removeItem(atPath: log) }

            try await ChildProcess.run(TestEnvironment.executable("gateway").path, ["seed-demo"], environment: environment, logPath: log)
            #expect(try String(contentsOfFile: log, encoding: .utf8).contains("demo data created: 3 users, 8 stickers"))
            let counts = try await client.query(
                "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM stickers), (SELECT count(*) FROM chats)",
                logger: .init(label: "t"))
            for try await (users, stickers, chats) in counts.decode((Int, Int, Int).self) {
                #expect(users == 3)
                #expect(stickers == 8)
                #expect(chats == 2)
            }
            let blobs = S3BlobStore(settings: store)
            for index in 0..<8 {
                #expect(try await blobs.exists(bucket: bucket, key: DemoSeeder.stickerObjectKey(index: index)))
            }

            try await ChildProcess.run(TestEnvironment.executable("gateway").path, ["seed-demo"], environment: environment, logPath: log)
            #expect(try String(contentsOfFile: log, encoding: .utf8).contains("already has users"))
        }
    }
}
