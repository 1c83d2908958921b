import Hummingbird

/// Numeric path parameters (jwt-api.md §1.5): a positive 64-bit decimal integer, else 404
/// `Not found` (the reference answered 500).
public enum PathID {
    public static func parse(_ context: some RequestContext, _ name: String = "id") throws -> Int64 {
        guard let text = context.parameters.get(name), let id = parse(text) else { throw APIError.notFound }
        return id
    }

    public static func parse(_ text: some StringProtocol) -> Int64? {
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = Int64(text), id > 0 else { return nil }
        return id
    }
}
