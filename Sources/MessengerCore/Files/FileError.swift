/// Why an upload or a file lookup failed. Adapters map each to their contract's status and text
/// (docs/files.md lists the JWT API's and the legacy API's wording).
public enum FileError: Error, Equatable, Sendable {
    /// More than the purpose's limit; nothing was stored.
    case tooLarge(limitBytes: Int)
    /// A type outside the purpose's allow-list, or active content (HTML, SVG, scripts).
    case unsupportedType
    /// An `image/*` claim the content contradicts.
    case contentMismatch
    /// The file does not exist or the caller may not read it (the two are indistinguishable).
    case notFound
    /// The object store answered with an error (a 502 at the edge).
    case storageFailed
    /// The object store could not be reached (a 503 at the edge).
    case storageUnavailable
}
