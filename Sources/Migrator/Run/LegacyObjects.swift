import Foundation
import MessengerCore

/// The objects legacy rows refer to. Voice files and avatars of earlier versions are files under
/// api_legacy's uploads folder (legacy-api.md §11.2) and are uploaded; current avatars and
/// sticker images are already in object storage and are only checked and registered.
public struct LegacyObjects: Sendable {
    let blobs: any BlobStore
    let buckets: BucketSettings
    /// api_legacy's `uploads` folder (holding `voice/` and `avatars/`), if given.
    let uploadsDirectory: URL?

    public init(blobs: any BlobStore, buckets: BucketSettings, uploadsDirectory: URL?) {
        self.blobs = blobs
        self.buckets = buckets
        self.uploadsDirectory = uploadsDirectory
    }

    public enum Outcome: Sendable, Equatable {
        /// In the store (uploaded now or already there); the size when known.
        case present(sizeBytes: Int64?)
        /// Neither in the store nor on disk.
        case missing
    }

    /// The local file an object in the uploads bucket comes from (`voice/<name>`,
    /// `avatars/<name>`), when the uploads folder is known.
    func localFile(for object: ObjectReference) -> URL? {
        guard object.bucket == buckets.uploads, let uploadsDirectory else { return nil }
        return uploadsDirectory.appendingPathComponent(object.key)
    }

    /// Makes sure `object` is in the store: uploads it from the uploads folder when it has a local
    /// origin and is not stored yet (a re-run or resume never uploads twice).
    public func ensure(_ object: ObjectReference, dryRun: Bool) async throws -> Outcome {
        let local = localFile(for: object)
        let localSize = local.flatMap { try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int64 }
        if try await blobs.exists(bucket: object.bucket, key: object.key) {
            return .present(sizeBytes: localSize)
        }
        guard let local, localSize != nil else { return .missing }
        if !dryRun {
            let data = try Data(contentsOf: local)
            try await blobs.put(
                bucket: object.bucket, key: object.key, data: data, contentType: LegacyMapping.contentType(forKey: object.key))
        }
        return .present(sizeBytes: localSize)
    }

    /// `ensure` for many objects, a few at a time.
    public func ensureAll(_ objects: [ObjectReference], dryRun: Bool, width: Int = 8) async throws -> [ObjectReference: Outcome] {
        var results: [ObjectReference: Outcome] = [:]
        let unique = Array(Set(objects))
        try await withThrowingTaskGroup(of: (ObjectReference, Outcome).self) { group in
            var pending = unique.makeIterator()
            for _ in 0..<width {
                guard let object = pending.next() else { break }
                group.addTask { (object, try await self.ensure(object, dryRun: dryRun)) }
            }
            while let (object, outcome) = try await group.next() {
                results[object] = outcome
                if let object = pending.next() {
                    group.addTask { (object, try await self.ensure(object, dryRun: dryRun)) }
                }
            }
        }
        return results
    }
}
