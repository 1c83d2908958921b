import Foundation

/// A text value read from SQLite, which stores whatever bytes it was given. PostgreSQL text must be
/// valid UTF-8 without NUL, so invalid sequences become U+FFFD and NUL bytes are dropped; what was
/// repaired is kept so the row can be listed in the report.
public struct LegacyText: Sendable, Equatable {
    public var value: String
    public var isNull = false
    public var hadInvalidUTF8 = false
    public var hadNUL = false

    public init(value: String, isNull: Bool = false) {
        self.value = value
        self.isNull = isNull
    }

    public init(bytes: UnsafeRawBufferPointer) {
        let codeUnits = bytes.bindMemory(to: UInt8.self)
        if let start = codeUnits.baseAddress, memchr(start, 0, codeUnits.count) == nil {
            // The common case, once per column of every message: copied and repaired by one
            // non-generic call (`String(validating:as:)` looks generic metadata up on each call);
            // the copy equals the bytes exactly when nothing needed repair.
            value = String(unsafeUninitializedCapacity: codeUnits.count) { target in
                target.baseAddress?.initialize(from: start, count: codeUnits.count)
                return codeUnits.count
            }
            hadInvalidUTF8 = value.utf8.withContiguousStorageIfAvailable { copy in
                copy.count != codeUnits.count || copy.baseAddress.map { memcmp($0, start, copy.count) != 0 } ?? false
            } ?? true
            return
        }
        if codeUnits.isEmpty {
            value = ""
            return
        }
        hadNUL = true
        let withoutNUL = codeUnits.filter { $0 != 0 }
        if let valid = String(validating: withoutNUL, as: UTF8.self) {
            value = valid
        } else {
            hadInvalidUTF8 = true
            value = String(decoding: withoutNUL, as: UTF8.self)
        }
    }

    public var wasRepaired: Bool { hadInvalidUTF8 || hadNUL }

    /// The problem text for the report, or nil when the bytes were clean.
    public func repairProblem(column: String) -> String? {
        switch (hadInvalidUTF8, hadNUL) {
        case (true, true): "\(column): invalid UTF-8 replaced by U+FFFD and NUL bytes removed"
        case (true, false): "\(column): invalid UTF-8 replaced by U+FFFD"
        case (false, true): "\(column): NUL bytes removed"
        case (false, false): nil
        }
    }
}
