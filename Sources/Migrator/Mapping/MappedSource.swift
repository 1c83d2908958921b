import Foundation
import MessengerCore

/// The source's mutable tables read up to one snapshot of the highest ids and mapped, plus what
/// messages need to be mapped one batch at a time. Built the same way by `run` and `verify`.
public struct MappedSource: Sendable {
    public var marks: LegacySource.Marks
    public var users: [MigratedUser]
    public var settings: [MigratedSettings]
    public var stickers: [MigratedSticker]
    public var chats: [MigratedChat]
    public var messageContext: LegacyMapping.MessageContext
    /// Source rows per table up to the marks (before any rule skipped one).
    public var sourceCounts: [MigratedTable: Int64]

    /// `marks`: the snapshot to map up to (read now when nil). `messageCount`: the source's
    /// messages up to the mark when the caller knows it (counting a million costs ~45 ms).
    public static func load(
        _ source: LegacySource, marks: LegacySource.Marks? = nil, messageCount: Int64? = nil, mapping: LegacyMapping,
        upgradeTime: Date, problems: inout ProblemLog
    ) throws -> MappedSource {
        let marks = try marks ?? source.marks()
        var legacyUsers: [LegacyUser] = []
        var after: Int64 = 0
        while true {
            let batch = try source.users(after: after, upTo: marks.users, limit: 50_000)
            guard let last = batch.last else { break }
            legacyUsers += batch
            after = last.id
        }
        let users = mapping.users(legacyUsers, problems: &problems)
        let userIDs = Set(users.map(\.id))

        let legacySettings = try source.settings(upToUser: marks.users)
        let settings = mapping.settings(legacySettings, users: userIDs, problems: &problems)

        let legacyStickers = try source.stickers(upTo: marks.stickers)
        var stickers = mapping.stickers(legacyStickers, problems: &problems)
        if users.isEmpty, !stickers.isEmpty {
            for sticker in stickers {
                problems.record("stickers", sticker.id, "no user to register the image's files row under", "sticker skipped")
            }
            stickers = []
        }

        var legacyConversations: [LegacyConversation] = []
        var v1Pairs: [String: Int64] = [:]
        if source.layout.generation == .v2 {
            after = 0
            while true {
                let batch = try source.conversations(after: after, upTo: marks.conversations, limit: 100_000)
                guard let last = batch.last else { break }
                legacyConversations += batch
                after = last.id
            }
        } else {
            let derivation = try V1ConversationDerivation.derive(
                from: source, upTo: marks.messages, upgradeTime: Timestamp.legacy(upgradeTime))
            legacyConversations = derivation.conversations
            v1Pairs = derivation.idOfPair
        }
        let (chats, chatOf) = mapping.conversations(legacyConversations, users: userIDs, problems: &problems)
        let participants = Dictionary(uniqueKeysWithValues: chats.map {
            ($0.id, LegacyMapping.ChatParticipants(chatID: $0.id, lowUserID: $0.lowUserID, highUserID: $0.highUserID))
        })
        let context = LegacyMapping.MessageContext(
            chatOfConversation: IDTable(chatOf.compactMap { conversation, chat in participants[chat].map { (conversation, $0) } }),
            chatOfPair: v1Pairs.compactMapValues { chatOf[$0].flatMap { participants[$0] } },
            users: IDTable(ids: userIDs), stickers: Set(stickers.map(\.id)))
        return MappedSource(
            marks: marks, users: users, settings: settings, stickers: stickers, chats: chats, messageContext: context,
            sourceCounts: [
                .users: Int64(legacyUsers.count),
                .userSettings: Int64(legacySettings?.count ?? users.count),
                .stickers: Int64(legacyStickers.count),
                .conversations: Int64(legacyConversations.count),
                .messages: try messageCount ?? source.count("messages", upTo: marks.messages),
            ])
    }
}
