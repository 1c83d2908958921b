import PostgresNIO

/// Who may attach a file to a message or make it an avatar (D-2): its uploader, nobody else, not
/// even a reader. Reading (``FileService/readableFile(id:by:)``) is wider; attaching would
/// otherwise republish a file to people its uploader never shared it with.
/// `MessageService.send` and `ProfileEditor.setAvatar` both run this one query.
enum AttachableFile {
    /// Columns: bucket, object_key, filename, mime_type; no row when `userID` may not attach it.
    static func query(fileID: Int64, userID: Int64) -> PostgresQuery {
        "SELECT bucket, object_key, filename, mime_type FROM files WHERE id = \(fileID) AND uploader_id = \(userID)"
    }

    typealias Row = (String, String, String, String?)
}
