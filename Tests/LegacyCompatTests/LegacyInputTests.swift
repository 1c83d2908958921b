import Foundation
import MessengerCore
import Testing

@testable import LegacyCompat

@Suite struct LegacyInputTests {
    @Test func stripUsesPythonWhitespace() {
        #expect(PythonText.strip("\u{1C}\u{A0}\u{3000} a b \u{2028}\u{85}") == "a b")
        #expect(PythonText.strip("\u{200B}x\u{200B}") == "\u{200B}x\u{200B}")
        #expect(PythonText.strip(" \t\n") == "")
    }

    @Test func lengthsAndSlicesCountCodePoints() {
        let emoji = String(repeating: "\u{1F600}", count: 5)
        #expect(PythonText.length(emoji) == 5)
        #expect(PythonText.prefix(emoji, 2) == "\u{1F600}\u{1F600}")
        // A combining mark is its own code point.
        #expect(PythonText.length("e\u{301}") == 2)
        #expect(PythonText.prefix("e\u{301}x", 1) == "e")
    }

    @Test func digitStringsAreASCIIOnly() {
        #expect(PythonText.identifierOrBeyond("007") == 7)
        #expect(PythonText.identifierOrBeyond("99999999999999999999999") == Int64.max)
        for text in ["", "-1", " 1", "1.5", "\u{661}", "\u{B2}", "abc"] {
            #expect(PythonText.identifierOrBeyond(text) == nil, "\(text)")
        }
    }

    @Test func legacyUsernameCharacters() {
        #expect(PythonText.isLegacyUsername("Dave_-1"))
        #expect(PythonText.isLegacyUsername("\u{DC}n\u{EF}\u{B2}"))
        for name in ["___", "-", "a b", "a.b", "e\u{301}", "a/b"] {
            #expect(!PythonText.isLegacyUsername(name), "\(name)")
        }
    }

    @Test func pythonTruthinessAndStringForm() {
        #expect(!LegacyValue.isTruthy(nil))
        for value: JSONValue in [.null, .bool(false), .integer(0), .double(0), .string(""), .array([]), .object([:])] {
            #expect(!LegacyValue.isTruthy(value), "\(value)")
        }
        for value: JSONValue in [.string("false"), .integer(-1), .array([.null]), .bool(true)] {
            #expect(LegacyValue.isTruthy(value), "\(value)")
        }
        #expect(LegacyValue.stringForm(.bool(true)) == "True")
        #expect(LegacyValue.stringForm(.double(1.5)) == "1.5")
        #expect(LegacyValue.identifier(.string("007")) == 7)
        #expect(LegacyValue.identifier(.integer(-2)) == nil)
        #expect(LegacyValue.identifier(.bool(true)) == nil)
        #expect(LegacyValue.identifier(.string("0")) == 0)
        #expect(LegacyValue.identifier(.integer(0)) == nil)
    }

    @Test func jsonContentTypes() {
        #expect(LegacyJSONBody.isJSONContentType("application/json"))
        #expect(LegacyJSONBody.isJSONContentType("Application/JSON; charset=utf-8"))
        #expect(LegacyJSONBody.isJSONContentType("application/merge-patch+json"))
        #expect(!LegacyJSONBody.isJSONContentType("text/plain"))
        #expect(!LegacyJSONBody.isJSONContentType(nil))
    }

    @Test func responsesAreWrittenLikeFlaskJsonify() {
        let value: JSONValue = ["b": "\u{1F3AD} Sticker", "a": .null, "c": [1, true]]
        #expect(String(decoding: PythonJSONWriter.serialize(value), as: UTF8.self) == #"{"a":null,"b":"\ud83c\udfad Sticker","c":[1,true]}"#)
    }
}

@Suite struct LegacyPageLogicTests {
    @Test func nextParameterMatchesTheObservedExamples() {
        #expect(LoginRedirect.location(host: "localhost", rawPath: "/dm/5", rawQuery: nil) == "/login?next=http://localhost/dm/5")
        #expect(LoginRedirect.location(host: "localhost", rawPath: "/dm/@b%C3%B6b", rawQuery: nil) == "/login?next=http://localhost/dm/@b%C3%B6b")
        #expect(
            LoginRedirect.location(host: "chat.example.com", rawPath: "/dm/12", rawQuery: "a=b%20c&d=%C3%A9")
                == "/login?next=http://chat.example.com/dm/12?a%3Db%2520c%26d%3D%C3%A9")
        #expect(LoginRedirect.location(host: "h:8080", rawPath: "/dm/007", rawQuery: "") == "/login?next=http://h:8080/dm/007")
        // An invalid UTF-8 escape stays an escape (and is escaped again).
        #expect(LoginRedirect.iriForm("/dm/@%C3") == "/dm/@%C3")
    }

    @Test func bodyAttributesAreAddedOnlyWhenMissing() {
        let attributes: [(name: String, value: String)] = [("data-theme", "light"), ("data-deeplink", "profile:a\"<b>")]
        #expect(AppPageTemplate.render("<html><BODY class=x>", attributes: attributes)
            == #"<html><BODY class=x data-theme="light" data-deeplink="profile:a&#34;&lt;b&gt;">"#)
        #expect(AppPageTemplate.render(#"<body data-theme="dark">"#, attributes: attributes)
            == #"<body data-theme="dark" data-deeplink="profile:a&#34;&lt;b&gt;">"#)
        #expect(AppPageTemplate.render("<body/>", attributes: [("data-theme", "light")]) == #"<body data-theme="light"/>"#)
        // `data-themes` is another attribute.
        #expect(AppPageTemplate.render("<body data-themes=1>", attributes: [("data-theme", "light")]) == #"<body data-themes=1 data-theme="light">"#)
        #expect(AppPageTemplate.render("<p>no body</p>", attributes: attributes) == "<p>no body</p>")
    }

    @Test func crossSiteOrigins() {
        let policy = CrossSiteRequestPolicy(allowedOrigins: ["https://App.example.test/"])
        #expect(policy.allows("http://127.0.0.1:8080", ownOrigin: "http://127.0.0.1:8080"))
        #expect(policy.allows("https://app.example.test", ownOrigin: "http://127.0.0.1:8080"))
        #expect(!policy.allows("https://evil.example", ownOrigin: "http://127.0.0.1:8080"))
        #expect(!policy.allows("null", ownOrigin: "http://127.0.0.1:8080"))
        #expect(!policy.allows("http://127.0.0.1:8080", ownOrigin: "https://127.0.0.1:8080"))
        #expect(CrossSiteRequestPolicy.origin(ofURL: "https://a.example:8443/x?y#z") == "https://a.example:8443")
        #expect(CrossSiteRequestPolicy.origin(ofURL: "/relative") == nil)
    }

    @Test func byteRanges() {
        #expect(FileResponse.byteRange("bytes=0-3", size: 10) == .some(0..<4))
        #expect(FileResponse.byteRange("bytes=5-", size: 10) == .some(5..<10))
        #expect(FileResponse.byteRange("bytes=-3", size: 10) == .some(7..<10))
        #expect(FileResponse.byteRange("bytes=8-100", size: 10) == .some(8..<10))
        #expect(FileResponse.byteRange("bytes=10-", size: 10) == .some(nil))
        #expect(FileResponse.byteRange("bytes=0-1,3-4", size: 10) == nil)
        #expect(FileResponse.byteRange("items=0-1", size: 10) == nil)
        #expect(FileResponse.byteRange("bytes=4-2", size: 10) == nil)
    }

    @Test func contentTypesFollowTheLegacyTable() {
        #expect(FileResponse.contentType(forFilename: "a.JS") == "text/javascript; charset=utf-8")
        #expect(FileResponse.contentType(forFilename: "voice_1_ab.ogg") == "audio/ogg")
        #expect(FileResponse.contentType(forFilename: "v.webm") == "video/webm")
        #expect(FileResponse.contentType(forFilename: "v.wav") == "audio/x-wav")
        #expect(FileResponse.contentType(forFilename: "noextension") == "application/octet-stream")
    }
}
