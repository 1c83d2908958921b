import Foundation
@testable import MessengerCore
import Testing

/// The reference counting of the node's Redis channels (D-10) and the matching of subscribe calls
/// to Redis confirmations, without Redis: the bookkeeping is pure.
@Suite("Redis bus channel bookkeeping")
struct ChannelSubscriptionsTests {
    typealias Table = ChannelSubscriptions<String, String>

    static func connected() -> Table {
        var table = Table()
        table.connected()
        _ = table.takeOutbox()
        return table
    }

    @Test("the first subscriber SUBSCRIBEs and waits; later ones join; the last one out UNSUBSCRIBEs")
    func referenceCount() {
        var table = Self.connected()
        guard case .waiting = table.add(7, id: 1, subscriber: "a", waiter: "wa") else { Issue.record("first must wait"); return }
        guard case .waiting = table.add(7, id: 2, subscriber: "b", waiter: "wb") else { Issue.record("second joins the pending SUBSCRIBE"); return }
        #expect(table.takeOutbox() == [.subscribe([7])])

        let (waiters, resubscribed) = table.confirm(7)
        #expect(Set(waiters) == ["wa", "wb"])
        #expect(resubscribed.isEmpty)

        guard case .active = table.add(7, id: 3, subscriber: "c", waiter: "wc") else { Issue.record("confirmed channel is active"); return }
        #expect(table.takeOutbox().isEmpty)
        #expect(Set(table.subscribers(of: 7)) == ["a", "b", "c"])

        #expect(table.remove(7, id: 1) == nil)
        #expect(table.remove(7, id: 3) == nil)
        #expect(table.takeOutbox().isEmpty)
        #expect(table.remove(7, id: 2) == nil)
        #expect(table.takeOutbox() == [.unsubscribe(7)])
        #expect(table.channelCount == 0)
        #expect(table.subscribers(of: 7).isEmpty)
    }

    @Test("removing an unknown subscriber changes nothing")
    func removeUnknown() {
        var table = Self.connected()
        _ = table.add(1, id: 1, subscriber: "a", waiter: "wa")
        _ = table.takeOutbox()
        #expect(table.remove(1, id: 99) == nil)
        #expect(table.remove(2, id: 1) == nil)
        #expect(table.takeOutbox().isEmpty)
        #expect(table.channelCount == 1)
    }

    @Test("a channel dropped before its confirmation: the stale confirmation cannot confirm the next SUBSCRIBE")
    func staleConfirmation() {
        var table = Self.connected()
        _ = table.add(5, id: 1, subscriber: "a", waiter: "wa")
        #expect(table.remove(5, id: 1) == "wa")
        _ = table.add(5, id: 2, subscriber: "b", waiter: "wb")
        #expect(table.takeOutbox() == [.subscribe([5]), .unsubscribe(5), .subscribe([5])])

        // Redis answers in command order: the first confirmation belongs to the dropped channel.
        #expect(table.confirm(5).waiters.isEmpty)
        #expect(table.confirm(5).waiters == ["wb"])
        guard case .active = table.add(5, id: 3, subscriber: "c", waiter: "wc") else { Issue.record("now active"); return }
    }

    @Test("without a connection nothing is stored and subscribe fails at once")
    func unavailable() {
        var table = Table()
        guard case .unavailable = table.add(1, id: 1, subscriber: "a", waiter: "wa") else { Issue.record("must refuse"); return }
        #expect(table.channelCount == 0)
        #expect(table.outbox.isEmpty)
    }

    @Test("a lost connection fails the waiters, keeps the subscribers and resubscribes them all at once")
    func reconnect() {
        var table = Self.connected()
        _ = table.add(1, id: 1, subscriber: "a", waiter: "wa")
        _ = table.confirm(1)
        _ = table.add(2, id: 2, subscriber: "b", waiter: "wb")

        #expect(table.disconnected() == ["wb"])
        #expect(table.outbox.isEmpty)
        guard case .unavailable = table.add(3, id: 3, subscriber: "c", waiter: "wc") else { Issue.record("down"); return }
        // While down, a leaving subscriber sends nothing; the reconnection will not resubscribe it.
        #expect(table.remove(2, id: 2) == nil)
        #expect(table.outbox.isEmpty)
        _ = table.add(1, id: 4, subscriber: "d", waiter: "wd")

        table.connected()
        #expect(table.takeOutbox() == [.subscribe([1])])
        // A subscriber arriving during the resubscription waits for it, and needs no catch-up.
        guard case .waiting = table.add(1, id: 5, subscriber: "e", waiter: "we") else { Issue.record("must wait"); return }
        let (waiters, resubscribed) = table.confirm(1)
        #expect(waiters == ["we"])
        #expect(Set(resubscribed) == ["a"])
        guard case .active = table.add(1, id: 6, subscriber: "f", waiter: "wf") else { Issue.record("active again"); return }
    }

    @Test("commands become Redis arguments on chat:{id} channels")
    func arguments() {
        #expect(Table.Command.subscribe([1, 22]).arguments == ["SUBSCRIBE", "chat:1", "chat:22"])
        #expect(Table.Command.unsubscribe(3).arguments == ["UNSUBSCRIBE", "chat:3"])
        #expect(BusChannel.chatID("chat:42") == 42)
        #expect(BusChannel.chatID("chat:x") == nil)
        #expect(BusChannel.chatID("other:1") == nil)
    }
}
