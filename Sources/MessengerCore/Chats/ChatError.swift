/// Why a chat operation was refused. Adapters map each case to their contract's status and text;
/// the same fact (not a member) is a 403 on some routes and a 404 on others.
public enum ChatError: Error, Equatable, Sendable {
    /// A channel needs a non-empty title.
    case titleRequired
    /// A direct chat needs exactly one other distinct member.
    case directChatNeedsOneOtherMember
    /// A member id that is no active user.
    case unknownMember
    /// `public_name` does not match `^[a-zA-Z0-9_]{3,32}$`.
    case invalidPublicName
    /// Another chat already has this `public_name` (case-insensitively).
    case publicNameTaken
    /// The chat does not exist, or the caller is not a member of it.
    case notAMember
    /// The owner cannot leave while others remain: nobody would administer the chat (D-25).
    case ownerMustStay
    /// No chat has this `public_name`.
    case notFound
}
