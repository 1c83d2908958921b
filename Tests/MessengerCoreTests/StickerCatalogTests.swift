import Crypto
import Foundation
import Logging
import MessengerCore
import Testing
import TestSupport

@Suite("Sticker catalogue (real PostgreSQL)")
struct StickerCatalogTests {
    let logger = Logger(label: "tests")

    @Test("all stickers of all packs in id order, with their pack and stored image")
    func allInIDOrder() async throws {
        try await ScratchDatabase.with { _, client in
            let rows = UserFixtureRows(client: client)
            let catalog = StickerCatalog(database: client, logger: logger)
            #expect(try await catalog.allStickers().isEmpty)

            let alice = try await rows.user("alice")
            let emojis = try await rows.stickerPack("Emojis")
            let animals = try await rows.stickerPack("Animals")
            var expected: [Sticker] = []
            for (index, (pack, packName, label)) in [(emojis, "Emojis", "grin"), (animals, "Animals", "cat"), (emojis, "Emojis", "lol")].enumerated() {
                let key = "stickers/s0\(index + 1).svg"
                let file = try await rows.file(uploader: alice, bucket: "bh-stickers", key: key, filename: "\(label).svg", mimeType: "image/svg+xml")
                let id = try await rows.sticker(pack: pack, label: label, file: file)
                expected.append(Sticker(id: id, label: label, packName: packName, imageBucket: "bh-stickers", imageKey: key))
            }
            #expect(try await catalog.allStickers() == expected)
            #expect(try await catalog.sticker(id: expected[1].id) == expected[1])
            #expect(try await catalog.sticker(id: expected[2].id + 100) == nil)
        }
    }

    @Test("a sticker URL carries no download disposition; an empty key has no URL")
    func imageURL() throws {
        let signer = LocalBlobURLSigner(secret: SymmetricKey(size: .bits256), lifetimeSeconds: 900)
        let svg = Sticker(id: 1, label: "grin", packName: "Emojis", imageBucket: "bh-stickers", imageKey: "stickers/s01.svg")
        let url = try #require(svg.imageURL(signedBy: signer))
        #expect(url.hasPrefix("/blobs/bh-stickers/stickers/s01.svg?"))
        #expect(!url.contains("disposition"))
        let empty = Sticker(id: 2, label: "none", packName: "Emojis", imageBucket: "bh-stickers", imageKey: "")
        #expect(empty.imageURL(signedBy: signer) == nil)
    }
}
