/// A row holds a value the schema's constraints should have excluded: a bug or a hand-edited
/// database, answered as an internal error rather than guessed around.
struct StoredValueError: Error, CustomStringConvertible {
    let column: String
    let value: String

    var description: String { "unexpected \(column) value \(value.debugDescription)" }
}

extension ChatType {
    init(stored: String) throws {
        guard let type = ChatType(rawValue: stored) else { throw StoredValueError(column: "chats.type", value: stored) }
        self = type
    }
}

extension ChatRole {
    init(stored: String) throws {
        guard let role = ChatRole(rawValue: stored) else { throw StoredValueError(column: "chat_members.role", value: stored) }
        self = role
    }
}
