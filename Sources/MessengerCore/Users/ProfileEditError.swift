/// Why a profile or avatar edit was refused. Adapters map each to their contract's status and text.
public enum ProfileEditError: Error, Equatable, Sendable {
    /// The new username breaks ``UsernameRule``.
    case invalidUsername
    /// Another user holds the username, up to ASCII case.
    case usernameTaken
    /// A text value PostgreSQL cannot store (it contains NUL).
    case unstorableText
    case userNotFound
    /// The file does not exist or someone else uploaded it (D-2: an avatar must never publish
    /// another user's private attachment).
    case fileNotFound
    /// The file is not an ``AvatarImageTypes`` image.
    case notAnImage
}
