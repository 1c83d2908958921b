import Foundation

/// The routing fields of an event read off the bus: enough to decide whether a socket forwards it,
/// drops it as a duplicate, or acts on it itself. The payload itself is forwarded verbatim
/// (jwt-api.md §5.6), so nothing else is decoded.
public struct BusEventHeader: Sendable, Equatable, Decodable {
    public let type: String?
    /// The message id of `message` events.
    public let id: Int64?
    /// The user concerned by `member_removed` and `typing` events.
    public let userID: Int64?

    enum CodingKeys: String, CodingKey {
        case type, id
        case userID = "user_id"
    }

    public init(type: String?, id: Int64?, userID: Int64?) {
        self.type = type
        self.id = id
        self.userID = userID
    }

    /// Fields of the wrong JSON type count as absent: a malformed event is forwarded as it came,
    /// never allowed to break the socket that reads it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try? container.decodeIfPresent(String.self, forKey: .type)
        id = try? container.decodeIfPresent(Int64.self, forKey: .id)
        userID = try? container.decodeIfPresent(Int64.self, forKey: .userID)
    }

    /// The header of `payload`; all fields nil when it is not a JSON object.
    public init(payload: String) {
        self = (try? JSONDecoder().decode(BusEventHeader.self, from: Data(payload.utf8)))
            ?? BusEventHeader(type: nil, id: nil, userID: nil)
    }
}
