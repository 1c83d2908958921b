import Foundation
@testable import MessengerCore
import Testing

@Suite("Bus publish timestamp")
struct BusTimestampTests {
    @Test("the publish time travels as a last field and is stripped again")
    func timestamp() throws {
        let payload = #"{"id":1,"type":"message"}"#
        let at = Date(timeIntervalSince1970: 1_700_000_000.123456)
        let stamped = BusTimestamp.stamp(payload, at: at)
        #expect(stamped == #"{"id":1,"type":"message","bus_published_us":1700000000123456}"#)
        let (original, publishedAt) = BusTimestamp.unstamp(stamped)
        #expect(original == payload)
        #expect(abs(try #require(publishedAt).timeIntervalSince(at)) < 0.000_01)
        // Other publishers' payloads pass untouched.
        #expect(BusTimestamp.unstamp(payload).payload == payload)
        #expect(BusTimestamp.unstamp(payload).publishedAt == nil)
        #expect(BusTimestamp.stamp("{}") == "{}")
        #expect(BusTimestamp.stamp("[1]") == "[1]")
        #expect(BusTimestamp.unstamp(#"{"a":"x","bus_published_us":12a}"#).publishedAt == nil)
    }
}
