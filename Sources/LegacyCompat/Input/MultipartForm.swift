import Foundation
import MultipartKit
import NIOCore

/// A `multipart/form-data` body split into its parts, as Werkzeug saw them: a part with a
/// `filename` parameter is a file (even with an empty name), any other part a text field.
struct MultipartForm {
    struct Part {
        let name: String
        /// nil for text fields.
        let filename: String?
        let contentType: String?
        var body: ByteBuffer
    }

    let parts: [Part]

    /// The first file part named `name`; a text field of that name does not count (§5.11).
    func file(named name: String) -> Part? {
        parts.first { $0.name == name && $0.filename != nil }
    }

    /// The first text field named `name`, decoded as UTF-8.
    func field(named name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(buffer: $0.body) }
    }

    /// The parts of `body`; nil when it is not a well-formed multipart body.
    static func parse(_ body: ByteBuffer, boundary: String) -> MultipartForm? {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var current = ByteBuffer()
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { chunk in current.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            let parameters = Self.dispositionParameters(disposition)
            if let name = parameters["name"] {
                parts.append(Part(
                    name: name, filename: parameters["filename"],
                    contentType: headers.first { $0.0.lowercased() == "content-type" }?.1, body: current))
            }
            headers = []
            current = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            return nil
        }
        return MultipartForm(parts: parts)
    }

    /// `form-data; name="file"; filename="a b.ogg"` → ["name": "file", "filename": "a b.ogg"].
    static func dispositionParameters(_ header: String) -> [String: String] {
        var parameters: [String: String] = [:]
        var rest = Substring(header)
        while let semicolon = rest.firstIndex(of: ";") {
            rest = rest[rest.index(after: semicolon)...].drop { $0 == " " || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var valueStart = rest.index(after: equals)
            var value = ""
            if valueStart < rest.endIndex, rest[valueStart] == "\"" {
                valueStart = rest.index(after: valueStart)
                var index = valueStart
                while index < rest.endIndex, rest[index] != "\"" {
                    if rest[index] == "\\", rest.index(after: index) < rest.endIndex { index = rest.index(after: index) }
                    value.append(rest[index])
                    index = rest.index(after: index)
                }
                rest = index < rest.endIndex ? rest[rest.index(after: index)...] : rest[rest.endIndex...]
            } else {
                let end = rest[valueStart...].firstIndex(of: ";") ?? rest.endIndex
                value = rest[valueStart..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            if parameters[key] == nil { parameters[key] = value }
        }
        return parameters
    }
}
