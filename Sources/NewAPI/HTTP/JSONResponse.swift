import Foundation
import Hummingbird
import MessengerCore

/// JSON responses as the contract writes them: `application/json; charset=utf-8`, `/` unescaped.
public enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    public static func encode(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Bodies built as `JSONValue` skip `JSONEncoder` (same bytes, see `JSONWriter`).
    public static func encode(_ value: JSONValue, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes())))
    }
}
