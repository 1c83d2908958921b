import Foundation
import MessengerCore

/// The objects legacy rows refer to. Voice files and avatars of earlier versions are files under
/// api_legacy's uploads folder (legacy-api.md §11.2) and are uploaded; current avatars and
/// sticker images are already in object storage and are only checked and registered, or, when
/// api_legacy's store is not the gateway's, copied from it (`--source-objects-dir`/`-url`).
public struct LegacyObjects: Sendable {
    let blobs: any BlobStore
    let buckets: BucketSettings
    /// api_legacy's `uploads` folder (holding `voice/` and `avatars/`), if given.
    let uploadsDirectory: URL?
    /// api_legacy's object store when it is not the target's; objects the target lacks are
    /// copied from it under the same bucket and key.
    let sourceStore: (any BlobStore)?
    /// The most bytes one copied object may have: a copy holds one object in memory (eight at a
    /// time), and legacy avatars are at most 5 MiB (§5.11).
    let maximumCopyBytes: Int

    public static let defaultMaximumCopyBytes = 64 << 20

    public init(
        blobs: any BlobStore, buckets: BucketSettings, uploadsDirectory: URL?,
        sourceStore: (any BlobStore)? = nil, maximumCopyBytes: Int = Self.defaultMaximumCopyBytes
    ) {
        self.blobs = blobs
        self.buckets = buckets
        self.uploadsDirectory = uploadsDirectory
        self.sourceStore = sourceStore
        self.maximumCopyBytes = maximumCopyBytes
    }

    public enum Outcome: Sendable, Equatable {
        /// In the store (uploaded or copied now, or already there); the size when known.
        case present(sizeBytes: Int64?)
        /// Neither in the store, nor on disk, nor in the source store.
        case missing
        /// In the source store but not copied (too large).
        case notCopied(reason: String)

        /// What the report says about an object of a row that is not in the store, nil when it is.
        func problem(_ what: String, _ object: ObjectReference) -> String? {
            switch self {
            case .present: nil
            case .missing: "\(what) \(object.bucket)/\(object.key) is missing"
            case .notCopied(let reason): "\(what) \(object.bucket)/\(object.key) was not copied from the source store: \(reason)"
            }
        }
    }

    /// The local file an object in the uploads bucket comes from (`voice/<name>`,
    /// `avatars/<name>`), when the uploads folder is known.
    func localFile(for object: ObjectReference) -> URL? {
        guard object.bucket == buckets.uploads, let uploadsDirectory else { return nil }
        return uploadsDirectory.appendingPathComponent(object.key)
    }

    /// Makes sure `object` is in the store: uploads it from the uploads folder when it has a local
    /// origin, else copies it from the source store when one is given. An object the store
    /// already holds is never written again (a re-run or resume never uploads twice).
    public func ensure(_ object: ObjectReference, dryRun: Bool) async throws -> Outcome {
        let local = localFile(for: object)
        let localSize = local.flatMap { try? FileManager.default.attributesOfItem(atPath: $0.path)[.size] as? Int64 }
        if try await blobs.exists(bucket: object.bucket, key: object.key) {
            return .present(sizeBytes: localSize)
        }
        if let local, localSize != nil {
            if !dryRun {
                let data = try Data(contentsOf: local)
                try await blobs.put(
                    bucket: object.bucket, key: object.key, data: data, contentType: LegacyMapping.contentType(forKey: object.key))
            }
            return .present(sizeBytes: localSize)
        }
        guard let sourceStore else { return .missing }
        if dryRun {
            return try await sourceStore.exists(bucket: object.bucket, key: object.key) ? .present(sizeBytes: nil) : .missing
        }
        let data: Data
        do {
            guard let found = try await sourceStore.get(bucket: object.bucket, key: object.key, maximumBytes: maximumCopyBytes) else {
                return .missing
            }
            data = found
        } catch BlobStoreError.tooLarge {
            return .notCopied(reason: "larger than \(maximumCopyBytes) bytes")
        }
        try await blobs.put(
            bucket: object.bucket, key: object.key, data: data, contentType: LegacyMapping.contentType(forKey: object.key))
        return .present(sizeBytes: Int64(data.count))
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
