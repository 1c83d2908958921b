/// Why a message could not be sent or read. Adapters map each to their contract's status and text.
public enum MessageError: Error, Equatable, Sendable {
    /// The sender is not a member of the chat, or the chat does not exist.
    case notAMember
    /// Only owners and admins post in channels.
    case channelIsReadOnly
    case stickerNotFound
    /// The file does not exist or was not uploaded by the sender (D-2).
    case fileNotFound
}
