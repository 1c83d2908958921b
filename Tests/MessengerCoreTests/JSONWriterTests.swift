import Foundation
import MessengerCore
import Testing

/// `JSONWriter` replaces `JSONEncoder` on the response paths, so it must write the same bytes.
@Suite struct JSONWriterTests {
    static func foundationText(_ value: JSONValue, sortedKeys: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = sortedKeys ? [.withoutEscapingSlashes, .sortedKeys] : [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let samples: [JSONValue] = [
        .null, true, false, 0, -1, .integer(Int64.max), .integer(Int64.min),
        JSONValue.double(1.5), .double(2.0), .double(1e-7), .double(1e21), .double(123456789.125),
        .double(0.1), .double(-3.25e-300),
        "", "plain", "a/b\\c\"d", "tab\tnew\nline\rcarriage\u{8}back\u{c}feed",
        .string(String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })),
        "\u{7f} del, é, 日本語, 🚀, \u{2028}\u{2029}, \u{feff}",
        [], [1, "two", nil, [.double(3.5), false]],
        ["b": 1, "a": ["nested": ["x": nil, "y": "z"]], "chat_id": 7, "content": "hi", "created_at": "2025-01-01T00:00:00.000000Z"],
        [["id": 1, "title": "t/1"], ["id": 2, "title": nil], [:]],
    ]

    /// Byte for byte with sorted keys; unsorted, the member order is unspecified on both sides, so
    /// the text must read back as the same value.
    @Test(arguments: samples)
    func writesWhatJSONEncoderWrites(_ value: JSONValue) throws {
        #expect(value.jsonText(sortedKeys: true) == (try Self.foundationText(value, sortedKeys: true)))
        let readBack = try JSONDecoder().decode(JSONValue.self, from: Data(value.jsonBytes()))
        #expect(readBack.jsonText(sortedKeys: true) == (try Self.foundationText(value, sortedKeys: true)))
    }

    @Test func sortsTheMessageEventKeysAsJSONEncoderDoes() throws {
        let event: JSONValue = [
            "type": "message", "id": 1, "chat_id": 2, "sender_id": 3, "content": "x", "message_type": "text",
            "created_at": "2025-01-01T00:00:00.000000Z", "sticker_id": nil, "file_id": nil, "duration_seconds": nil,
        ]
        #expect(event.jsonText(sortedKeys: true) == (try Self.foundationText(event, sortedKeys: true)))
    }

    @Test func numberEdgeCases() throws {
        #expect(JSONValue.double(-0.0).jsonText() == (try Self.foundationText(.double(-0.0), sortedKeys: false)))
        #expect(JSONValue.array([.double(.nan), .double(.infinity)]).jsonText() == "[null,null]")
    }
}
