import Logging

/// Puts the current request's id on every log line written while handling it, whichever logger
/// writes the line (core services log through their own loggers, not the request's).
public enum RequestLogging {
    @TaskLocal public static var requestID: String?

    public static let metadataProvider = Logger.MetadataProvider {
        guard let requestID else { return [:] }
        return ["request_id": .string(requestID)]
    }

    /// The header a request's id arrives in (from a proxy) and is echoed in.
    public static let header = "X-Request-ID"

    /// A caller's id when it is up to 64 characters of `[A-Za-z0-9._-]`: a proxy's id keeps one
    /// trail across hops, and nothing in it can forge log structure.
    public static func acceptable(_ value: String) -> String? {
        guard (1...64).contains(value.utf8.count),
              value.utf8.allSatisfy({ $0 == 0x2D || $0 == 0x2E || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) })
        else { return nil }
        return value
    }
}
