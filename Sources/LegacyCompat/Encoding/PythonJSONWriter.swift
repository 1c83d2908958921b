import MessengerCore

/// Produces the exact bytes of Python's
/// `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)`: what Flask
/// signs into session cookies and what api_legacy's `jsonify` sent (legacy-api.md §0, §8.2).
/// Byte-identical output is only needed to reproduce the cookie test vectors; clients parse it.
enum PythonJSONWriter {
    static func serialize(_ object: [String: JSONValue]) -> [UInt8] {
        var output: [UInt8] = []
        write(object: object, to: &output)
        return output
    }

    static func serialize(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        write(value, to: &output)
        return output
    }

    private static func write(_ value: JSONValue, to output: inout [UInt8]) {
        switch value {
        case .integer(let number):
            output.append(contentsOf: String(number).utf8)
        case .double(let number):
            // Python's float repr; JSON cannot carry NaN or infinities here.
            output.append(contentsOf: number.description.utf8)
        case .string(let text):
            write(string: text, to: &output)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .null:
            output.append(contentsOf: "null".utf8)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                write(element, to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            write(object: members, to: &output)
        }
    }

    private static func write(object: [String: JSONValue], to output: inout [UInt8]) {
        // Python orders str keys by code point. UTF-8 byte order is code-point order, whereas
        // Swift's String `<` and UTF-16 order both differ for some keys.
        let keys = object.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        output.append(UInt8(ascii: "{"))
        for (index, key) in keys.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            write(string: key, to: &output)
            output.append(UInt8(ascii: ":"))
            if let value = object[key] {
                write(value, to: &output)
            }
        }
        output.append(UInt8(ascii: "}"))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func write(string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            switch scalar.value {
            case 0x22: output.append(contentsOf: #"\""#.utf8)
            case 0x5C: output.append(contentsOf: #"\\"#.utf8)
            case 0x0A: output.append(contentsOf: #"\n"#.utf8)
            case 0x0D: output.append(contentsOf: #"\r"#.utf8)
            case 0x09: output.append(contentsOf: #"\t"#.utf8)
            case 0x08: output.append(contentsOf: #"\b"#.utf8)
            case 0x0C: output.append(contentsOf: #"\f"#.utf8)
            // Python's ensure_ascii passes only printable ASCII through; DEL is escaped too.
            case 0x20...0x7E: output.append(UInt8(scalar.value))
            case 0x10000...:
                let offset = scalar.value - 0x10000
                writeEscape(0xD800 + (offset >> 10), to: &output)
                writeEscape(0xDC00 + (offset & 0x3FF), to: &output)
            default:
                writeEscape(scalar.value, to: &output)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func writeEscape(_ codeUnit: UInt32, to output: inout [UInt8]) {
        output.append(contentsOf: #"\u"#.utf8)
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hexDigits[Int((codeUnit >> UInt32(shift)) & 0xF)])
        }
    }
}
