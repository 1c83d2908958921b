import Foundation
import Hummingbird
import MessengerCore
import NIOCore

/// Reads a JSON request body the way jwt-api.md §1.1 defines it: parsed only when the Content-Type
/// is `application/json` (parameters allowed) or absent; anything else counts as no body.
public enum JSONRequestBody {
    /// JSON bodies are limited to 1 MiB (§1.11).
    public static let maximumSize = 1 << 20

    /// The body as a JSON object, or nil when it is absent, not JSON, or not an object.
    public static func object(of request: Request) async throws -> [String: JSONValue]? {
        guard let value = try await value(of: request), case .object(let object) = value else { return nil }
        return object
    }

    /// The body as any JSON value, or nil when it is absent or not JSON.
    public static func value(of request: Request) async throws -> JSONValue? {
        if let contentType = request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard mediaType == "application/json" else { return nil }
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumSize)
        } catch is NIOTooManyBytesError {
            throw APIError.bodyTooLarge
        }
        guard buffer.readableBytes > 0 else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: buffer))
    }

    /// The object, or 400 `Invalid JSON`.
    public static func requiredObject(of request: Request) async throws -> [String: JSONValue] {
        guard let object = try await object(of: request) else { throw APIError.invalidJSON }
        return object
    }
}
