import Foundation

public enum WebDriverError: Error, CustomStringConvertible {
    /// A W3C error reply: `error` code, message and the command that failed.
    case command(String, error: String, message: String)
    case unexpectedReply(String)
    case driverExited(status: Int32, log: String)
    case driverNotReady(log: String)
    case timedOut(String)

    public var description: String {
        switch self {
        case .command(let command, let error, let message): "WebDriver \(command): \(error): \(message.prefix(2000))"
        case .unexpectedReply(let text): "WebDriver: unexpected reply: \(text.prefix(2000))"
        case .driverExited(let status, let log): "chromedriver exited with \(status):\n\(log.suffix(4000))"
        case .driverNotReady(let log): "chromedriver did not become ready:\n\(log.suffix(4000))"
        case .timedOut(let what): "gave up waiting for \(what)"
        }
    }
}
