import Crypto
import Foundation

/// An object in the store a files row points at.
public struct ObjectReference: Sendable, Hashable, Codable {
    public var bucket: String
    public var key: String

    public var filename: String { String(key.split(separator: "/").last ?? Substring(key)) }
}

/// Rows as they are written to the gateway's schema. `canonical` is one line of the row's
/// content, produced the same way from a mapped source row and from a target row read back, so
/// digests (re-runs) and verify compare exactly what matters.
public protocol MigratedRow: Sendable {
    var id: Int64 { get }
    var canonical: String { get }
}

extension MigratedRow {
    public var digest: [UInt8] { Array(SHA256.hash(data: Data(canonical.utf8))) }
}

enum Canonical {
    static let separator = "\u{1F}"
    static let null = "\u{0}"

    static func join(_ fields: [String?]) -> String {
        fields.map { $0 ?? null }.joined(separator: separator)
    }
}

public struct MigratedUser: MigratedRow, Equatable {
    public var id: Int64
    public var username: String
    public var passwordHash: String
    public var displayName: String?
    public var bio: String?
    public var avatar: ObjectReference?
    /// Microseconds since the epoch, UTC.
    public var createdAt: Int64

    public var canonical: String {
        Canonical.join([
            String(id), username, passwordHash, displayName, bio, avatar.map { "\($0.bucket)/\($0.key)" }, String(createdAt),
        ])
    }
}

public struct MigratedSettings: MigratedRow, Equatable {
    public var userID: Int64
    public var theme: String
    public var notificationsEnabled: Bool
    public var language: String

    public var id: Int64 { userID }
    public var canonical: String {
        Canonical.join([String(userID), theme, notificationsEnabled ? "t" : "f", language])
    }
}

public struct MigratedSticker: MigratedRow, Equatable {
    public var id: Int64
    public var packName: String
    public var label: String
    public var image: ObjectReference

    public var canonical: String {
        Canonical.join([String(id), packName, label, "\(image.bucket)/\(image.key)"])
    }
}

/// A legacy conversation as a direct chat: owner = the lower user id, both users members.
public struct MigratedChat: MigratedRow, Equatable {
    public var id: Int64
    public var lowUserID: Int64
    public var highUserID: Int64
    /// The conversation's `updated_at`: the chat's created_at and updated_at at first copy. Not
    /// part of `canonical`: api_legacy moves it on every message and the gateway keeps its own.
    public var updatedAt: Int64

    public var directKey: String { "\(lowUserID):\(highUserID)" }
    public var members: [Int64] { lowUserID == highUserID ? [lowUserID] : [lowUserID, highUserID] }

    public var canonical: String {
        Canonical.join([String(id), "direct", directKey, String(lowUserID), members.map(String.init).joined(separator: ",")])
    }
}

public struct MigratedMessage: MigratedRow, Equatable {
    public var id: Int64
    public var chatID: Int64
    public var senderID: Int64
    public var content: String?
    public var kind: String
    public var stickerID: Int64?
    public var voice: ObjectReference?
    public var durationSeconds: Int32?
    public var createdAt: Int64

    public var canonical: String {
        Canonical.join([
            String(id), String(chatID), String(senderID), content, kind, stickerID.map(String.init),
            voice.map { "\($0.bucket)/\($0.key)" }, durationSeconds.map(String.init), String(createdAt),
        ])
    }
}
