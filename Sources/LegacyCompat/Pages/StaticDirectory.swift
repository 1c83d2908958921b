import Foundation
import Hummingbird
import NIOCore

/// The SPA's files under `STATIC_DIR`. Request paths are percent-decoded and refused (404) when
/// any segment is empty, `.` or `..`, or when the resolved file lies outside the directory (a
/// symbolic link pointing out of it included).
struct StaticDirectory: Sendable {
    let root: URL

    init(path: String) {
        self.root = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
    }

    struct LoadedFile {
        let bytes: ByteBuffer
        let filename: String
        let modified: Date
        let size: Int
    }

    /// The regular file at the relative (still percent-encoded) path, or nil.
    func file(atEncodedPath encoded: String) -> LoadedFile? {
        let decoded = LoginRedirect.decodedSegment(encoded)
        guard !decoded.contains("\0"), !decoded.contains("\\") else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty, segments.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
        return file(relative: segments.joined(separator: "/"))
    }

    /// A file named by a trusted relative path (the SPA's own pages).
    func file(relative: String) -> LoadedFile? {
        let url = root.appendingPathComponent(relative).standardizedFileURL.resolvingSymlinksInPath()
        guard url.path.hasPrefix(root.path + "/") else { return nil }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let data = FileManager.default.contents(atPath: url.path)
        else { return nil }
        let modified = attributes[.modificationDate] as? Date ?? Date(timeIntervalSince1970: 0)
        return LoadedFile(bytes: ByteBuffer(bytes: data), filename: url.lastPathComponent, modified: modified, size: data.count)
    }

    func response(for file: LoadedFile, to request: Request) -> Response {
        let etag = "\"\(Int64(file.modified.timeIntervalSince1970))-\(file.size)\""
        return FileResponse(bytes: file.bytes, filename: file.filename, lastModified: file.modified, etag: etag).response(to: request)
    }
}
