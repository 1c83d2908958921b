import Hummingbird
import MessengerCore

/// JSON responses as api_legacy's `jsonify` wrote them (legacy-api.md §0): `application/json`
/// without charset, compact, keys sorted, non-ASCII escaped, one trailing newline.
enum LegacyJSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var bytes = PythonJSONWriter.serialize(value)
        bytes.append(UInt8(ascii: "\n"))
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}

/// Small HTML pages: Flask's error pages and redirects (the SPA never parses them).
enum LegacyHTML {
    static func errorPage(status: HTTPResponse.Status, message: String) -> Response {
        let title = "\(status.code) \(status.reasonPhrase)"
        let html = "<!doctype html>\n<html lang=en>\n<title>\(escape(title))</title>\n<h1>\(escape(status.reasonPhrase))</h1>\n<p>\(escape(message))</p>\n"
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A 302 to a relative location, with the short body Werkzeug writes.
    static func redirect(to location: String) -> Response {
        let html = """
            <!doctype html>
            <html lang=en>
            <title>Redirecting...</title>
            <h1>Redirecting...</h1>
            <p>You should be redirected automatically to the target URL: <a href="\(escape(location))">\(escape(location))</a>. If not, click the link.

            """
        return Response(
            status: .found, headers: [.location: location, .contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Jinja's escaping of attribute values and text (legacy-api.md §3.3).
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&#34;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }
}
