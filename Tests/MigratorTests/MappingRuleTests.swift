import Foundation
import NIOCore
import Testing
@testable import Migrator

/// The pure pieces: timestamp reading, text repair, COPY text encoding, v1 conversation derivation.
@Suite("migrator mapping rules")
struct MappingRuleTests {
    @Test("legacy timestamps: SQLite's format and its variants read as UTC; garbage is refused")
    func timestamps() {
        #expect(LegacyTimestamp.microseconds(parsing: "2026-11-29 03:32:53") == 1_795_923_173_000_000)
        #expect(LegacyTimestamp.microseconds(parsing: "2026-11-29T03:32:53Z") == 1_795_923_173_000_000)
        #expect(LegacyTimestamp.microseconds(parsing: "2026-11-29 04:32:53+01:00") == 1_795_923_173_000_000)
        #expect(LegacyTimestamp.microseconds(parsing: "2026-11-29 03:32:53.25") == 1_795_923_173_250_000)
        #expect(LegacyTimestamp.microseconds(parsing: "1795923173") == 1_795_923_173_000_000)
        #expect(LegacyTimestamp.microseconds(parsing: "2024-02-29") == 1_709_164_800_000_000)
        for bad in [
            "", "yesterday", "2023-02-29 00:00:00", "2024-13-01 00:00:00", "2024-01-01 24:00:00", "2024-01-01 10:60:00",
            "2024-01-01 10:00:60", "2O24-01-01 10:00:00", "2024-01-01 10:00:00 junk",
        ] {
            #expect(LegacyTimestamp.microseconds(parsing: bad) == nil, "\(bad)")
        }
        #expect(LegacyTimestamp.copyText(microseconds: 1_795_923_173_250_000) == "2026-11-29 03:32:53.250000+00")
        #expect(LegacyTimestamp.copyText(microseconds: 0) == "1970-01-01 00:00:00+00")
        #expect(LegacyTimestamp.month(microseconds: 1_795_923_173_000_000) == (2026, 11))
    }

    @Test("text from SQLite: invalid UTF-8 becomes U+FFFD, NUL bytes are dropped, both are reported")
    func textRepair() {
        let clean = [UInt8]("héllo ✓".utf8).withUnsafeBytes { LegacyText(bytes: $0) }
        #expect(clean.value == "héllo ✓" && !clean.wasRepaired)
        let invalid = [UInt8]([0x68, 0x69, 0xFF, 0x21]).withUnsafeBytes { LegacyText(bytes: $0) }
        #expect(invalid.value == "hi\u{FFFD}!" && invalid.hadInvalidUTF8 && !invalid.hadNUL)
        let nul = [UInt8]([0x61, 0x00, 0x62]).withUnsafeBytes { LegacyText(bytes: $0) }
        #expect(nul.value == "ab" && nul.hadNUL)
        #expect(nul.repairProblem(column: "content") == "content: NUL bytes removed")
    }

    @Test("COPY text format: escapes, NULL, booleans, bytea")
    func copyEncoding() {
        var encoder = CopyTextEncoder()
        encoder.integer(Int64(7))
        encoder.text("a\tb\nc\\d\re")
        encoder.text(nil)
        encoder.boolean(true)
        encoder.bytea([0xAB, 0x01])
        encoder.endRow()
        #expect(String(buffer: encoder.buffer) == "7\ta\\tb\\nc\\\\d\\re\t\\N\tt\t\\\\xab01\n")
        #expect(encoder.rowCount == 1)
    }

    @Test("COPY text format: integers as decimal digits, negative and extreme values included")
    func copyIntegers() {
        var encoder = CopyTextEncoder()
        for value in [0, 9, 10, -1, 1_795_923_173, Int64.max, Int64.min] as [Int64] { encoder.integer(value) }
        encoder.integer(Int32(-86_400))
        encoder.endRow()
        #expect(String(buffer: encoder.buffer)
            == "0\t9\t10\t-1\t1795923173\t9223372036854775807\t-9223372036854775808\t-86400\n")
    }

    @Test("id tables: dense ids in an array, sparse ids in a dictionary, the same answers")
    func idTables() {
        let dense = IDTable((1...1_000).map { (id: Int64($0), value: $0 * 2) })
        let sparse = IDTable([(id: 5, value: 10), (id: 9_000_000_000, value: 7), (id: -3, value: 1)])
        #expect(dense[1] == 2 && dense[1_000] == 2_000 && dense[0] == nil && dense[1_001] == nil && dense[-1] == nil)
        #expect(sparse[5] == 10 && sparse[9_000_000_000] == 7 && sparse[-3] == 1 && sparse[6] == nil)
        let users = IDTable(ids: [3, 4])
        #expect(users.contains(3) && !users.contains(5))
    }

    @Test("months: partition names as ensure_message_partitions gives them, ranges and spans across years")
    func months() {
        let november = MonthOfYear(microseconds: 1_795_923_173_250_000)
        #expect(november == MonthOfYear(year: 2026, month: 11))
        #expect(november.partitionName == "messages_2026_11")
        #expect(november.adding(months: 2) == MonthOfYear(year: 2027, month: 1))
        #expect(MonthOfYear(year: 2022, month: 1).count(through: MonthOfYear(year: 2024, month: 12)) == 36)
        #expect(november.count(through: MonthOfYear(year: 2026, month: 10)) == 0)
        let range = MonthOfYear(year: 1970, month: 1).microseconds
        #expect(range == 0..<(31 * 86_400_000_000))
        #expect(november.microseconds.contains(1_795_923_173_250_000))
    }

    @Test("v1 conversations: one per unordered pair at first appearance, ids 1, 2, ...; self-pairs allowed")
    func v1Derivation() {
        var derivation = V1ConversationDerivation(upgradeTime: "2026-01-01 00:00:00")
        for (from, to) in [(1, 2), (2, 1), (3, 1), (2, 2), (1, 3), (4, 1)] as [(Int64, Int64)] {
            derivation.add(from: from, to: to)
        }
        #expect(derivation.conversations.map { "\($0.id):\($0.userA ?? 0)-\($0.userB ?? 0)" } == ["1:1-2", "2:1-3", "3:2-2", "4:1-4"])
    }

    @Test("usernames fold like SQLite NOCASE: ASCII letters only")
    func casefold() {
        #expect(LegacyMapping.asciiCasefold("Zoë ÄB") == "zoë Äb")
    }
}
