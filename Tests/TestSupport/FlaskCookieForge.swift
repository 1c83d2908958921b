import Crypto
import Foundation

/// Session cookies as api_legacy (Flask 3.1, itsdangerous 2.2) signed them, written here
/// independently of the gateway's codec: uncompressed payload, timestamp, HMAC-SHA1 signature
/// (legacy-api.md §8.2). For a session Flask does not compress (no `cpp_token`: `user_id` and
/// `username` with its keys sorted and non-ASCII escaped as `\uXXXX`), the result is Flask's own
/// cookie byte for byte (vector 1 of §8.3).
public enum FlaskCookieForge {
    public static func cookie(json: String, secret: String, timestamp: Int64 = Int64(Date().timeIntervalSince1970)) -> String {
        let payload = base64URL(Data(json.utf8))
        var big = timestamp.bigEndian
        let timeBytes = withUnsafeBytes(of: &big) { Data($0) }.drop { $0 == 0 }
        let signingInput = payload + "." + base64URL(Data(timeBytes))
        let derived = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data("cookie-session".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        let signature = HMAC<Insecure.SHA1>.authenticationCode(
            for: Data(signingInput.utf8), using: SymmetricKey(data: Data(derived)))
        return signingInput + "." + base64URL(Data(signature))
    }

    public static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public static var gatewaySecret: String { TestEnvironment.secrets["SECRET_KEY"] ?? "" }
}
