import Foundation
import Logging
import NIOCore

/// Files for both API generations: storing an upload (type from its content, size limit, object
/// before row), deciding who may read a file, and the URL through which it is fetched.
///
/// See docs/files.md for the API and the storage conventions.
public struct FileService: Sendable {
    let core: CoreServices
    let repository: FileRepository
    let typePolicy: UploadTypePolicy

    /// - Parameter typePolicy: nil: attachments follow `core.limits.allowedUploadTypes`.
    public init(core: CoreServices, typePolicy: UploadTypePolicy? = nil) {
        self.core = core
        self.repository = FileRepository(database: core.database, logger: core.logger)
        self.typePolicy = typePolicy ?? UploadTypePolicy(attachmentTypes: core.limits.allowedUploadTypes)
    }

    /// Stores an upload and returns its `files` row.
    ///
    /// `content` is read once, as it arrives: its first ``ContentSniffer/prefixLength`` bytes decide
    /// the type (``UploadTypePolicy``), then the bytes stream into the blob store, so memory stays
    /// bounded whatever the size. The row is written only after the object exists; if the row
    /// cannot be written the object is deleted again.
    ///
    /// - Throws: ``FileError/tooLarge(limitBytes:)``, ``FileError/unsupportedType``,
    ///   ``FileError/contentMismatch`` (nothing stored in all three), ``FileError/storageFailed``,
    ///   ``FileError/storageUnavailable``; an error thrown by `content` itself is rethrown as is,
    ///   also with nothing stored. A database error while writing the row is rethrown after the
    ///   object was removed.
    public func store<Content: AsyncSequence>(
        _ upload: UploadRequest, content: Content
    ) async throws -> StoredFile where Content.Element == ByteBuffer {
        let limit = upload.maximumBytes ?? upload.purpose.maximumBytes(attachmentLimit: core.limits.maxFileSizeBytes)
        var iterator = content.makeAsyncIterator()
        var head = ByteBuffer()
        var ended = false
        while head.readableBytes < ContentSniffer.prefixLength {
            guard var chunk = try await iterator.next() else {
                ended = true
                break
            }
            head.writeBuffer(&chunk)
            if head.readableBytes > limit { throw FileError.tooLarge(limitBytes: limit) }
        }
        let type = try typePolicy.decide(
            claimed: upload.claimedType, prefix: head.readableBytesView.prefix(ContentSniffer.prefixLength),
            purpose: upload.purpose)
        let (bucket, key) = try await freshKey(for: upload, type: type)
        let body = UploadContent(head: head, rest: ended ? nil : iterator, limit: limit)

        let size: Int64
        do {
            size = try await core.blobs.write(bucket: bucket, key: key, contentType: type, chunks: body)
        } catch let failure as UploadSourceFailure {
            throw failure.underlying
        } catch {
            core.logger.error("object store write failed", metadata: ["bucket": "\(bucket)", "error": "\(error)"])
            GatewayMetrics.shared.recordDependencyError("object_store")
            throw Self.storageError(error)
        }

        do {
            return try await repository.insert(
                uploaderID: upload.uploaderID, bucket: bucket, key: key, filename: Self.displayName(upload.filename),
                mimeType: type, size: size)
        } catch is FileRepository.KeyTaken {
            // Another upload won the same random key between the check and the insert; the object
            // now belongs to its row, so it is kept.
            core.logger.error("object key taken after upload", metadata: ["bucket": "\(bucket)", "key": "\(key)"])
            throw FileError.storageFailed
        } catch {
            do {
                try await core.blobs.delete(bucket: bucket, key: key)
            } catch let cleanup {
                core.logger.error(
                    "orphaned object after a failed files insert", metadata: ["bucket": "\(bucket)", "key": "\(key)", "error": "\(cleanup)"])
            }
            throw error
        }
    }

    /// The file row, whoever asks. For routes with their own authorisation (legacy `/uploads/`).
    public func file(id: Int64) async throws -> StoredFile? {
        try await repository.file(id: id)
    }

    /// The row of an object, e.g. `/uploads/voice/<name>` → (uploads bucket, `voice/<name>`).
    public func file(bucket: String, objectKey: String) async throws -> StoredFile? {
        try await repository.file(bucket: bucket, key: objectKey)
    }

    /// The file if `userID` may read it (jwt-api.md §3.5.2, D-1): the uploader; a current member
    /// of a chat where a message attaches it; every user for an active user's avatar or a sticker
    /// image. Nil otherwise, and for a missing file, so callers answer both alike (404).
    public func readableFile(id: Int64, by userID: Int64) async throws -> StoredFile? {
        try await repository.readableFile(id: id, by: userID)
    }

    /// ``readableFile(id:by:)`` or ``FileError/notFound``.
    public func requireReadable(id: Int64, by userID: Int64) async throws -> StoredFile {
        guard let file = try await readableFile(id: id, by: userID) else { throw FileError.notFound }
        return file
    }

    /// A short-lived URL to the object with the user-upload disposition (D-3): media inline, all
    /// else as an attachment, active types relabelled `application/octet-stream`. Nil when the
    /// store cannot sign the object's name.
    public func downloadURL(for file: StoredFile) -> String? {
        core.objectURLs.url(bucket: file.bucket, key: file.objectKey, upload: file.uploadDescription)
    }

    /// A key no row uses yet. Avatar (48 random bits) and voice keys (32) could collide and
    /// overwrite another row's object, so they are checked; UUID attachment keys are not.
    private func freshKey(for upload: UploadRequest, type: String) async throws -> (bucket: String, key: String) {
        for _ in 0..<5 {
            let candidate = UploadObjectKey.make(
                purpose: upload.purpose, uploaderID: upload.uploaderID, type: type, filename: upload.filename,
                buckets: core.buckets)
            if upload.purpose == .attachment { return candidate }
            if try await !repository.isKeyTaken(bucket: candidate.bucket, key: candidate.key) { return candidate }
        }
        throw FileError.storageFailed
    }

    /// The display name stored in `files.filename`: control characters removed, at most 255
    /// characters, `file` when nothing is left.
    static func displayName(_ original: String) -> String {
        let cleaned = String(UploadFilename.displayName(original).prefix(255))
        return cleaned.trimmingCharacters(in: .whitespaces).isEmpty ? "file" : cleaned
    }

    static func storageError(_ error: any Error) -> FileError {
        if let error = error as? BlobStoreError, case .unreachable = error { return .storageUnavailable }
        return .storageFailed
    }
}
