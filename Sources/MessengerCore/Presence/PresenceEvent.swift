/// `{"type":"presence","user_id":U,"status":"online"|"offline"}` (jwt-api.md §5.4, §10.1),
/// published on the channel of every chat U is a member of, when U's first socket on any node
/// opens or the last one closes.
public enum PresenceEvent {
    public static let type = "presence"

    public static func payload(userID: Int64, online: Bool) -> String {
        #"{"type":"\#(type)","user_id":\#(userID),"status":"\#(online ? "online" : "offline")"}"#
    }
}
