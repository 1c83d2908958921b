/// Why a session could not be turned into a cookie.
public enum FlaskSessionError: Error, Sendable, Equatable {
    /// `SECRET_KEY` is empty; Flask then refuses to issue sessions.
    case sessionsDisabled
    /// itsdangerous cannot represent a signing time before 1970.
    case negativeTimestamp
    /// The payload holds a single-key object whose key is one of Flask's type tags, or a float.
    case tagLikeObject
}
