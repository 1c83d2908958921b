import Logging
import PostgresNIO

/// Changing one's own profile: username, display name and bio (jwt-api.md §3.2.6) and the avatar
/// (§3.2.7). Who may edit whom is the caller's decision; this only edits the given user.
public struct ProfileEditor: Sendable {
    let database: PostgresClient
    let logger: Logger

    public init(database: PostgresClient, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public init(core: CoreServices) {
        self.init(database: core.database, logger: core.logger)
    }

    /// Applies `changes` and returns the stored result. `updated_at` moves on every call (the users
    /// trigger), also when nothing changed, as the reference always wrote.
    ///
    /// - Throws: ``ProfileEditError/invalidUsername``, ``ProfileEditError/usernameTaken``,
    ///   ``ProfileEditError/unstorableText``, ``ProfileEditError/userNotFound``.
    public func update(userID: Int64, with changes: ProfileChanges) async throws -> StoredProfile {
        if let username = changes.username, !UsernameRule.allowsRename(to: username) {
            throw ProfileEditError.invalidUsername
        }
        for text in [changes.displayName, changes.bio].compactMap({ $0 }) where text.unicodeScalars.contains("\0") {
            throw ProfileEditError.unstorableText
        }
        // A NULL parameter means "keep": this edit never stores NULL.
        let query: PostgresQuery = """
            UPDATE users SET
                username = COALESCE(\(changes.username), username),
                display_name = COALESCE(\(changes.displayName), display_name),
                bio = COALESCE(\(changes.bio), bio)
            WHERE id = \(userID)
            RETURNING id, username, display_name, bio
            """
        do {
            let rows = try await database.query(query, logger: logger)
            for try await (id, username, displayName, bio) in rows.decode((Int64, String, String?, String?).self) {
                return StoredProfile(id: id, username: username, displayName: displayName, bio: bio)
            }
        } catch let error as PSQLError
            where error.serverInfo?[.sqlState] == "23505" && error.serverInfo?[.constraintName] == "users_username_key"
        {
            throw ProfileEditError.usernameTaken
        }
        throw ProfileEditError.userNotFound
    }

    /// Replaces display name and bio together, nil storing NULL (the legacy profile form is a full
    /// replacement, legacy-api.md §5.14). Returns the stored result.
    ///
    /// - Throws: ``ProfileEditError/unstorableText``, ``ProfileEditError/userNotFound``.
    public func replaceDisplayNameAndBio(userID: Int64, displayName: String?, bio: String?) async throws -> StoredProfile {
        for text in [displayName, bio].compactMap({ $0 }) where text.unicodeScalars.contains("\0") {
            throw ProfileEditError.unstorableText
        }
        let rows = try await database.query(
            """
            UPDATE users SET display_name = \(displayName), bio = \(bio) WHERE id = \(userID)
            RETURNING id, username, display_name, bio
            """, logger: logger)
        for try await (id, username, storedName, storedBio) in rows.decode((Int64, String, String?, String?).self) {
            return StoredProfile(id: id, username: username, displayName: storedName, bio: storedBio)
        }
        throw ProfileEditError.userNotFound
    }

    /// Makes the file the user's avatar (moving `updated_at`) and returns it. The file must be the
    /// user's own upload and an ``AvatarImageTypes`` image.
    ///
    /// - Throws: ``ProfileEditError/fileNotFound``, ``ProfileEditError/notAnImage``,
    ///   ``ProfileEditError/userNotFound``.
    public func setAvatar(userID: Int64, fileID: Int64) async throws -> UserAvatar {
        let files = try await database.query(AttachableFile.query(fileID: fileID, userID: userID), logger: logger)
        var avatar: UserAvatar?
        for try await (bucket, key, filename, mimeType) in files.decode(AttachableFile.Row.self) {
            avatar = UserAvatar(fileID: fileID, bucket: bucket, objectKey: key, filename: filename, mimeType: mimeType)
        }
        guard let avatar else { throw ProfileEditError.fileNotFound }
        guard AvatarImageTypes.allows(avatar.mimeType) else { throw ProfileEditError.notAnImage }
        do {
            let rows = try await database.query(
                "UPDATE users SET avatar_file_id = \(fileID) WHERE id = \(userID) RETURNING id", logger: logger)
            for try await _ in rows.decode(Int64.self) {
                return avatar
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23503" {
            // The file was deleted between the check and the update.
            throw ProfileEditError.fileNotFound
        }
        throw ProfileEditError.userNotFound
    }
}
