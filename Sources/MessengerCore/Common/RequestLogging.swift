import Logging

/// Puts the current request's id on every log line written while handling it, whichever logger
/// writes the line (core services log through their own loggers, not the request's).
public enum RequestLogging {
    @TaskLocal public static var requestID: String?

    public static let metadataProvider = Logger.MetadataProvider {
        guard let requestID else { return [:] }
        return ["request_id": .string(requestID)]
    }
}
