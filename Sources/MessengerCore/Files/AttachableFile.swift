import PostgresNIO

/// Who may attach a file to a message or make it an avatar (D-2): its uploader, nobody else, not
/// even a reader. Reading (``FileService/readableFile(id:by:)``) is wider; attaching would
/// otherwise republish a file to people its uploader never shared it with.
/// `ProfileEditor.setAvatar` runs this query; `MessageInsertStatement` folds the same condition
/// into its one statement.
enum AttachableFile {
    /// The condition on `files`, over the SQL expressions naming the file id and the user id.
    static func condition(fileID: String, userID: String) -> String {
        "id = \(fileID) AND uploader_id = \(userID)"
    }

    /// Columns: bucket, object_key, filename, mime_type; no row when `userID` may not attach it.
    static func query(fileID: Int64, userID: Int64) -> PostgresQuery {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(fileID)
        bindings.append(userID)
        return PostgresQuery(
            unsafeSQL: "SELECT bucket, object_key, filename, mime_type FROM files WHERE \(condition(fileID: "$1", userID: "$2"))",
            binds: bindings)
    }

    typealias Row = (String, String, String, String?)
}
