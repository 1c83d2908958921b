import AsyncHTTPClient
import PostgresNIO

/// The dependencies counted in `messenger_dependency_errors_total{dependency}`.
public enum MonitoredDependency: String, CaseIterable, Sendable {
    case database
    case redis
    case objectStore = "object_store"

    /// The dependency whose failure `error` is, or nil for errors that are not a dependency's
    /// (validation, authorization, the caller's own mistakes). An S3 name the client refused to send
    /// is not the store's failure; an unexpected answer or a transport error is.
    public init?(failureOf error: any Error) {
        switch error {
        case is PSQLError, is PostgresTransactionError:
            self = .database
        case is RedisError:
            self = .redis
        case let error as BlobStoreError:
            guard case .unexpectedStatus = error else { return nil }
            self = .objectStore
        case is HTTPClientError:
            self = .objectStore
        default:
            return nil
        }
    }
}
