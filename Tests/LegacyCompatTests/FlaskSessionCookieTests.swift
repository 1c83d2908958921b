import Foundation
import MessengerCore
import Testing

@testable import LegacyCompat

struct CookieVector: Sendable, CustomTestStringConvertible {
    let name: String
    let secret: String
    let timestamp: Int64
    let payload: [String: JSONValue]
    let json: String
    let cookie: String

    var testDescription: String { name }
}

private let testSecret = "test-secret-key"
private let vector2Token =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImFkbSI6ZmFsc2UsInR5cCI6ImFjY2VzcyIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDAzNjAwfQ.c2lnbmF0dXJlLXBsYWNlaG9sZGVyLWZvci10ZXN0cw"

/// legacy-api.md §8.3.
private let vectors: [CookieVector] = [
    .init(
        name: "1 uncompressed", secret: testSecret, timestamp: 1_700_000_000,
        payload: ["user_id": .integer(1), "username": .string("alice")],
        json: #"{"user_id":1,"username":"alice"}"#,
        cookie: "eyJ1c2VyX2lkIjoxLCJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA.gAswQNE6bN3744a776WdhTQ_JWU"
    ),
    .init(
        name: "2 compressed with cpp_token", secret: "change-me-in-production-use-a-long-random-string",
        timestamp: 1_767_225_600,
        payload: ["cpp_token": .string(vector2Token), "user_id": .integer(42), "username": .string("Dave_-1")],
        json: #"{"cpp_token":""# + vector2Token + #"","user_id":42,"username":"Dave_-1"}"#,
        cookie:
            ".eJxFj8FugkAURf9l1mqAtCa6sxjIIzKNtcI4GwKPMQwwSDrWkTH-u1gXXdzFPTl3cW8E-z47nxrRkSURQ1QVIcpPGcHegkslaOi-3tGHOTQ9S_xoMRslW6YwSuDET0EFTbGDOVeBRm__P1BBffASi8PTaatyZPE3mni9esU3krPKQH26UvvHLK1X5ridodd2hQqckkXthn3oQ0rbPFxoHibDJuUXlK7DGXXQkAn51eInkyVZvnmv0uVKjGfW-UVkU5fcH8_uTO8.aVW5AA.f3Fodw9G0ebomrWIQi458MiYS8A"
    ),
    .init(
        name: "3 compression boundary, compressed", secret: testSecret, timestamp: 1_700_000_000,
        payload: ["cpp_token": .string("JWT-alice"), "user_id": .integer(1), "username": .string("alice")],
        json: #"{"cpp_token":"JWT-alice","user_id":1,"username":"alice"}"#,
        cookie: ".eJyrVkouKIgvyc9OzVOyUvIKD9FNzMlMTlXSUSotTi2Kz0xRsjKEsPMSc1OBSiDStQAZgBKw.ZVPxAA.IpA5KEw0qgin1jYVpADy0r7hUPc"
    ),
    .init(
        name: "4 compression boundary, not compressed", secret: testSecret, timestamp: 1_700_000_000,
        payload: ["is_admin": .bool(true), "user_id": .integer(7), "username": .string("admin")],
        json: #"{"is_admin":true,"user_id":7,"username":"admin"}"#,
        cookie: "eyJpc19hZG1pbiI6dHJ1ZSwidXNlcl9pZCI6NywidXNlcm5hbWUiOiJhZG1pbiJ9.ZVPxAA.no9TPLje-ln1g-hHgecWvog1IPY"
    ),
    .init(
        name: "5 non-ASCII username", secret: testSecret, timestamp: 1_700_000_000,
        payload: ["user_id": .integer(4), "username": .string("Ünï²")],
        json: #"{"user_id":4,"username":"\u00dcn\u00ef\u00b2"}"#,
        cookie: "eyJ1c2VyX2lkIjo0LCJ1c2VybmFtZSI6Ilx1MDBkY25cdTAwZWZcdTAwYjIifQ.ZVPxAA.-sVkxfPAUBr3o4Oi6-rIIEhTKFY"
    ),
    .init(
        name: "6 highly compressible", secret: testSecret, timestamp: 1_700_000_000,
        payload: [
            "cpp_token": .string("carol-carol-carol-carol-carol-carol-carol-carol"), "user_id": .integer(3),
            "username": .string("carol"),
        ],
        json: #"{"cpp_token":"carol-carol-carol-carol-carol-carol-carol-carol","user_id":3,"username":"carol"}"#,
        cookie: ".eJyrVkouKIgvyc9OzVOyUkpOLMrP0SWaVNJRKi1OLYrPTFGyMoaw8xJzU2EGKdUCAFDiIWg.ZVPxAA.W7VfNS4hskv7JFQ_WkEjtqGPQ50"
    ),
]

private let vector1 = vectors[0]
private let maxAge: Int64 = 2_678_400

@Suite struct FlaskSessionCookieTests {
    @Test(arguments: vectors)
    func encodesVectorByteForByte(_ vector: CookieVector) throws {
        #expect(String(decoding: PythonJSONWriter.serialize(vector.payload), as: UTF8.self) == vector.json)
        let serializer = FlaskSessionSerializer(secretKey: vector.secret)
        #expect(try serializer.encode(vector.payload, timestamp: vector.timestamp) == vector.cookie)
    }

    @Test(arguments: vectors)
    func decodesVectorWithinItsLifetimeOnly(_ vector: CookieVector) {
        let serializer = FlaskSessionSerializer(secretKey: vector.secret)
        #expect(serializer.decode(vector.cookie, now: vector.timestamp) == vector.payload)
        #expect(serializer.decode(vector.cookie, now: vector.timestamp + maxAge) == vector.payload)
        #expect(serializer.decode(vector.cookie, now: vector.timestamp + maxAge + 1) == nil)
        #expect(serializer.decode(vector.cookie, now: vector.timestamp - 1) == nil)
    }

    @Test func tamperedSignatureIsAnonymous() {
        let serializer = FlaskSessionSerializer(secretKey: testSecret)
        let tampered = String(vector1.cookie.dropLast(2)) + "AA"
        #expect(serializer.decode(tampered, now: vector1.timestamp) == nil)
        #expect(serializer.decode(String(vector1.cookie.dropLast()), now: vector1.timestamp) == nil)
        #expect(serializer.decode(vector1.cookie + "A", now: vector1.timestamp) == nil)
    }

    @Test(arguments: ["garbage", "", ".", "..", "a.b.c", "...", "eyJ1c2VyX2lkIjoxfQ.ZVPxAA"])
    func malformedCookieIsAnonymous(_ cookie: String) {
        #expect(FlaskSessionSerializer(secretKey: testSecret).decode(cookie, now: 1_700_000_000) == nil)
    }

    @Test func expiredAtOneSecondPastTheLifetime() {
        let serializer = FlaskSessionSerializer(secretKey: testSecret)
        #expect(serializer.decode(vector1.cookie, now: 1_702_678_401) == nil)
        #expect(serializer.decode(vector1.cookie, now: 1_702_678_400) == vector1.payload)
    }

    @Test func otherSecretIsAnonymous() throws {
        let cookie = try FlaskSessionSerializer(secretKey: "another-secret-key").encode(vector1.payload, timestamp: 1_700_000_000)
        #expect(FlaskSessionSerializer(secretKey: testSecret).decode(cookie, now: 1_700_000_000) == nil)
    }

    @Test func emptySecretDisablesSessions() {
        let serializer = FlaskSessionSerializer(secretKey: "")
        #expect(throws: FlaskSessionError.sessionsDisabled) {
            try serializer.encode(vector1.payload, timestamp: 1_700_000_000)
        }
        #expect(serializer.decode(vector1.cookie, now: 1_700_000_000) == nil)
    }

    @Test func derivedKeyAndSignatureMatchSpec() {
        let serializer = FlaskSessionSerializer(secretKey: testSecret)
        #expect(serializer.derivedKeyBytes.map(hex) == "6b967d632dddd8bc1ac4f675e264481af6abb198")
        let signature = serializer.signature(of: Array("eyJ1c2VyX2lkIjoxLCJ1c2VybmFtZSI6ImFsaWNlIn0.ZVPxAA".utf8))
        #expect(signature.map(hex) == "800b3040d13a6cddfbe386bbefa59d85343f2565")
        let defaultSecret = FlaskSessionSerializer(secretKey: "change-me-in-production-use-a-long-random-string")
        #expect(defaultSecret.derivedKeyBytes.map(hex) == "3075a16abfb8450032bfbbb91da8913e2b641304")
    }

    @Test func unicodeUsernameAndLongTokenRoundTrip() throws {
        let token = String(repeating: "eyJhbGciOiJIUzI1NiJ9.", count: 40) + "sig_-"
        let payload: [String: JSONValue] = [
            "user_id": .integer(9_007_199_254_740_993),
            "username": .string("Zoë 😀 \u{1F}\"\\/\u{7F}"),
            "cpp_token": .string(token),
        ]
        let serializer = FlaskSessionSerializer(secretKey: testSecret)
        let cookie = try serializer.encode(payload, timestamp: 1_800_000_000)
        #expect(cookie.hasPrefix("."))
        #expect(serializer.decode(cookie, now: 1_800_000_100) == payload)
    }

    @Test func jsonMatchesPythonEscapingAndKeyOrder() {
        let payload: [String: JSONValue] = [
            "b": .string("\"\\/\n\r\t\u{8}\u{C}\u{0}\u{1F}\u{7F}é😀"),
            "a": .array([.null, .bool(false), .integer(-5), .object(["y": .integer(1), "x": .integer(0)])]),
            "\u{FFFD}": .integer(1),
            "😀": .integer(2),
            "Z": .integer(3),
        ]
        let expected =
            #"{"Z":3,"a":[null,false,-5,{"x":0,"y":1}],"b":"\"\\/\n\r\t\b\f\u0000\u001f\u007f\u00e9\ud83d\ude00","\ufffd":1,"\ud83d\ude00":2}"#
        #expect(String(decoding: PythonJSONWriter.serialize(payload), as: UTF8.self) == expected)
    }

    @Test func uncompressedPayloadOfTaggedJSONIsAnonymous() throws {
        let tuple = signedCookie(json: #"{"user_id":1,"pair":{" t":[1,2]}}"#)
        let bytes = signedCookie(json: #"{" b":"YWJj"}"#)
        let escapedDict = signedCookie(json: #"{"x":{" di":{" t":1}}}"#)
        let serializer = FlaskSessionSerializer(secretKey: testSecret)
        for cookie in [tuple, bytes, escapedDict] {
            #expect(serializer.decode(cookie, now: 1_700_000_000) == nil)
        }
        let plainDict = signedCookie(json: #"{"x":{" t":1,"y":2}}"#)
        #expect(serializer.decode(plainDict, now: 1_700_000_000) == ["x": .object([" t": .integer(1), "y": .integer(2)])])
    }

    @Test(arguments: [#"[1,2]"#, #""text""#, "1", "null", #"{"x":1.5}"#, #"{"x":99999999999999999999}"#, "{", #"{"x":1}x"#])
    func nonObjectOrUnsupportedJSONIsAnonymous(_ json: String) {
        #expect(FlaskSessionSerializer(secretKey: testSecret).decode(signedCookie(json: json), now: 1_700_000_000) == nil)
    }

    @Test func encoderRefusesTagLikeObjects() {
        let serializer = FlaskSessionSerializer(secretKey: testSecret)
        #expect(throws: FlaskSessionError.tagLikeObject) {
            try serializer.encode(["x": .object([" t": .integer(1)])], timestamp: 1_700_000_000)
        }
    }

    @Test func zipBombIsAnonymous() throws {
        let huge = #"{"x":""# + String(repeating: "a", count: 200_000) + #""}"#
        let compressed = try SessionPayloadZlib.compress(Array(huge.utf8))
        #expect(compressed.count < 4096)
        let cookie = signedCookie(payload: "." + String(decoding: URLSafeBase64.encode(compressed), as: UTF8.self))
        #expect(FlaskSessionSerializer(secretKey: testSecret).decode(cookie, now: 1_700_000_000) == nil)
    }

    @Test func truncatedCompressedPayloadIsAnonymous() throws {
        let json = #"{"cpp_token":"carol-carol-carol-carol-carol-carol-carol-carol","user_id":3,"username":"carol"}"#
        let compressed = try SessionPayloadZlib.compress(Array(json.utf8))
        // Without its Adler-32 the stream still inflates to the complete JSON, but Python's
        // zlib.decompress rejects it as truncated.
        for missing in [1, 4, 6] {
            let cookie = signedCookie(
                payload: "." + String(decoding: URLSafeBase64.encode(compressed.dropLast(missing)), as: UTF8.self)
            )
            #expect(FlaskSessionSerializer(secretKey: testSecret).decode(cookie, now: 1_700_000_000) == nil)
        }
        #expect(SessionPayloadZlib.inflate(compressed, limit: 1024) == Array(json.utf8))
        #expect(SessionPayloadZlib.inflate(compressed, limit: json.utf8.count) == Array(json.utf8))
        #expect(SessionPayloadZlib.inflate(compressed, limit: json.utf8.count - 1) == nil)
    }

    @Test func timestampWithLeadingZeroBytesStillLoads() {
        // itsdangerous reads any big-endian length; only its writer strips zero bytes.
        let cookie = signedCookie(payload: "eyJ1c2VyX2lkIjoxfQ", timestamp: "AABlU_EA")
        #expect(FlaskSessionSerializer(secretKey: testSecret).decode(cookie, now: 1_700_000_000) == ["user_id": .integer(1)])
    }

    @Test func base64URLRoundTripsEveryLength() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 251) }
            let text = URLSafeBase64.encode(bytes)
            #expect(!text.contains(UInt8(ascii: "=")))
            #expect(URLSafeBase64.decode(text) == bytes)
        }
        #expect(URLSafeBase64.decode(Array("abcde".utf8)) == nil)
        #expect(URLSafeBase64.decode(Array("ab+/".utf8)) == nil)
        #expect(URLSafeBase64.decode(Array("ab==".utf8)) == nil)
    }
}

/// A cookie for `json` signed with the test secret at 1700000000, for payloads the encoder
/// would never write.
private func signedCookie(json: String) -> String {
    signedCookie(payload: String(decoding: URLSafeBase64.encode(Array(json.utf8)), as: UTF8.self))
}

private func signedCookie(payload: String, timestamp: String = "ZVPxAA") -> String {
    let signingInput = payload + "." + timestamp
    let signature = FlaskSessionSerializer(secretKey: testSecret).signature(of: Array(signingInput.utf8)) ?? []
    return signingInput + "." + String(decoding: URLSafeBase64.encode(signature), as: UTF8.self)
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
}
