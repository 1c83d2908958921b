/// Splits a SQL file into statements at top-level semicolons. PostgreSQL's extended protocol (all
/// postgres-nio offers) runs one statement per query, so migration files are run statement by
/// statement. Understands what can hide a semicolon: '…' and "…" literals, $tag$…$tag$ bodies,
/// -- line comments and /* … */ comments.
import Foundation

enum SQLScript {
    static func statements(in script: String) -> [String] {
        let characters = Array(script.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { statements.append(text) }
            current = String.UnicodeScalarView()
        }
        func copy(until end: Int) {
            current.append(contentsOf: characters[index..<min(end, characters.count)])
            index = min(end, characters.count)
        }
        func find(_ needle: [Unicode.Scalar], from start: Int) -> Int? {
            guard needle.count <= characters.count else { return nil }
            var position = start
            while position + needle.count <= characters.count {
                if Array(characters[position..<position + needle.count]) == needle { return position }
                position += 1
            }
            return nil
        }

        while index < characters.count {
            let character = characters[index]
            let next = index + 1 < characters.count ? characters[index + 1] : nil
            switch character {
            case ";":
                flush()
                index += 1
            case "'", "\"":
                var end = index + 1
                while end < characters.count {
                    if characters[end] == character {
                        // A doubled quote is an escaped quote inside the literal.
                        if end + 1 < characters.count && characters[end + 1] == character { end += 2; continue }
                        break
                    }
                    end += 1
                }
                copy(until: end + 1)
            case "-" where next == "-":
                let end = characters[index...].firstIndex(of: "\n") ?? characters.count
                index = end
            case "/" where next == "*":
                index = (find(["*", "/"], from: index + 2) ?? characters.count - 2) + 2
            case "$":
                var tagEnd = index + 1
                while tagEnd < characters.count, characters[tagEnd] == "_" || characters[tagEnd].properties.isAlphabetic
                    || ("0"..."9").contains(characters[tagEnd]) {
                    tagEnd += 1
                }
                guard tagEnd < characters.count, characters[tagEnd] == "$" else {
                    copy(until: index + 1)
                    continue
                }
                let tag = Array(characters[index...tagEnd])
                let close = find(tag, from: tagEnd + 1) ?? characters.count
                copy(until: close + tag.count)
            default:
                current.append(character)
                index += 1
            }
        }
        flush()
        return statements
    }
}
