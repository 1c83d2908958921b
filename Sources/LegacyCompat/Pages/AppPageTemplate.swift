import Foundation

/// The app page is the SPA's own `app.html`, served with the body attributes api_legacy's template
/// rendered (legacy-api.md §3.3). Only attributes the file does not already carry are added, so
/// any SPA laid out like the legacy one is served unchanged otherwise.
enum AppPageTemplate {
    static func render(_ html: String, attributes: [(name: String, value: String)]) -> String {
        guard let bodyStart = html.range(of: "<body", options: .caseInsensitive),
              let tagEnd = html[bodyStart.upperBound...].firstIndex(of: ">")
        else { return html }
        let tag = html[bodyStart.upperBound..<tagEnd].lowercased()
        var insertion = ""
        for (name, value) in attributes where !carries(tag, name) {
            insertion += " \(name)=\"\(LegacyHTML.escape(value))\""
        }
        guard !insertion.isEmpty else { return html }
        // Before a self-closing slash, if any.
        var insertAt = tagEnd
        if insertAt > bodyStart.upperBound, html[html.index(before: insertAt)] == "/" {
            insertAt = html.index(before: insertAt)
        }
        var rendered = html
        rendered.insert(contentsOf: insertion, at: insertAt)
        return rendered
    }

    /// Whether the (lowercased) tag text has the attribute: its name, preceded by whitespace and
    /// followed by `=`, whitespace or the end.
    static func carries(_ tag: String, _ name: String) -> Bool {
        var searchStart = tag.startIndex
        while let range = tag.range(of: name, range: searchStart..<tag.endIndex) {
            let before = range.lowerBound == tag.startIndex ? " " : tag[tag.index(before: range.lowerBound)]
            let after = range.upperBound == tag.endIndex ? " " : tag[range.upperBound]
            if before.isWhitespace && (after == "=" || after.isWhitespace || after == "/") { return true }
            searchStart = range.upperBound
        }
        return false
    }
}
