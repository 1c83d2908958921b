import Crypto
import Foundation
import Testing

@testable import MessengerCore

/// Published vectors first: AWS's worked S3 examples and the jwt-api.md §1.9 vector. The presign
/// cases with extras or an https endpoint were cross-checked with botocore 1.43 (`generate_presigned_url`
/// with a frozen clock), an independent SigV4 implementation.
@Suite("SigV4 signing and object URLs")
struct SigV4SignerTests {
    static let aws = SigV4Signer(
        accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let awsHost = "examplebucket.s3.amazonaws.com"
    /// 2013-05-24T00:00:00Z
    static let awsDate = Date(timeIntervalSince1970: 1_369_353_600)
    /// 2026-02-24T10:11:12Z
    static let vectorDate = Date(timeIntervalSince1970: 1_771_927_872)

    static func header(_ name: String, in headers: [(String, String)]) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func signature(ofAuthorization authorization: String?) -> String? {
        authorization?.components(separatedBy: "Signature=").last
    }

    @Test("timestamps are UTC and zero-padded across leap days and years")
    func timestamps() {
        #expect(AmzTimestamp(Self.awsDate).dateTime == "20130524T000000Z")
        #expect(AmzTimestamp(Self.awsDate).day == "20130524")
        #expect(AmzTimestamp(Self.vectorDate).dateTime == "20260224T101112Z")
        #expect(AmzTimestamp(Date(timeIntervalSince1970: 1_709_251_199.999)).dateTime == "20240229T235959Z")
        #expect(AmzTimestamp(Date(timeIntervalSince1970: 951_782_400)).dateTime == "20000229T000000Z")
        #expect(AmzTimestamp(Date(timeIntervalSince1970: 0)).dateTime == "19700101T000000Z")
        #expect(AmzTimestamp(Date(timeIntervalSince1970: 4_102_444_799)).dateTime == "20991231T235959Z")
    }

    @Test("S3 URI encoding keeps only unreserved characters, and / in paths")
    func uriEncoding() {
        #expect(S3URIEncoding.path("/test$file.text") == "/test%24file.text")
        #expect(S3URIEncoding.path("/b/a b+c~_-.é") == "/b/a%20b%2Bc~_-.%C3%A9")
        #expect(S3URIEncoding.queryComponent("a/b=c&d;e*") == "a%2Fb%3Dc%26d%3Be%2A")
    }

    // MARK: - AWS S3 API reference, "Signature Calculations for the Authorization Header"

    @Test("GET object with Range: canonical request, string to sign and signature match AWS")
    func awsGetObject() {
        let headers = Self.aws.signHeaders(
            method: "GET", host: Self.awsHost, path: "/test.txt", headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.awsDate)

        let canonical = Self.aws.canonicalRequest(
            method: "GET", path: "/test.txt", canonicalQuery: "",
            headers: CanonicalHeaders([
                ("Range", "bytes=0-9"), ("host", Self.awsHost), ("x-amz-date", "20130524T000000Z"),
                ("x-amz-content-sha256", SigV4Signer.emptyPayloadHash),
            ]),
            payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(
            canonical == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            Self.aws.stringToSign(canonicalRequest: canonical, timestamp: AmzTimestamp(Self.awsDate)) == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """)
        #expect(
            Self.header("Authorization", in: headers)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
        #expect(Self.header("x-amz-date", in: headers) == "20130524T000000Z")
        #expect(Self.header("x-amz-content-sha256", in: headers) == SigV4Signer.emptyPayloadHash)
        #expect(Self.header("host", in: headers) == nil)
    }

    @Test("PUT object: $ in the key, a signed Date header and a hashed body match AWS")
    func awsPutObject() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let payloadHash = SigV4Signer.payloadHash(of: body)
        #expect(payloadHash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let headers = Self.aws.signHeaders(
            method: "PUT", host: Self.awsHost, path: "/test$file.text",
            headers: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            payloadHash: payloadHash, date: Self.awsDate)
        let authorization = Self.header("Authorization", in: headers)
        #expect(
            authorization?.contains(
                "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,") == true)
        #expect(
            Self.signature(ofAuthorization: authorization)
                == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET bucket lifecycle: a valueless sub-resource is signed as lifecycle= and matches AWS")
    func awsGetLifecycle() {
        #expect(SigV4Signer.canonicalQueryString([("lifecycle", "")]) == "lifecycle=")
        let headers = Self.aws.signHeaders(
            method: "GET", host: Self.awsHost, path: "/", query: [("lifecycle", "")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.awsDate)
        #expect(
            Self.signature(ofAuthorization: Self.header("Authorization", in: headers))
                == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("GET bucket (list objects): query parameters sorted and signed, matching AWS")
    func awsListObjects() {
        #expect(SigV4Signer.canonicalQueryString([("prefix", "J"), ("max-keys", "2")]) == "max-keys=2&prefix=J")
        let headers = Self.aws.signHeaders(
            method: "GET", host: Self.awsHost, path: "/", query: [("prefix", "J"), ("max-keys", "2")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.awsDate)
        #expect(
            Self.signature(ofAuthorization: Self.header("Authorization", in: headers))
                == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("caller copies of host, x-amz-date and x-amz-content-sha256 cannot change what is signed")
    func managedHeadersWin() {
        let plain = Self.aws.signHeaders(
            method: "GET", host: Self.awsHost, path: "/test.txt", headers: [("Range", "bytes=0-9")],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.awsDate)
        let noisy = Self.aws.signHeaders(
            method: "GET", host: Self.awsHost, path: "/test.txt",
            headers: [
                ("Host", "evil.example"), ("Range", "  bytes=0-9 "), ("X-Amz-Date", "19990101T000000Z"),
                ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),
            ],
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.awsDate)
        #expect(Self.header("Authorization", in: plain) == Self.header("Authorization", in: noisy))
    }

    // MARK: - AWS S3 API reference, "Authenticating Requests: Using Query Parameters"

    @Test("presigned GET /test.txt for 86400 s matches AWS")
    func awsPresignedURL() {
        let url = Self.aws.presignedURL(
            scheme: "https", host: Self.awsHost, path: "/test.txt", expires: 86_400, date: Self.awsDate)
        #expect(
            url == "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
        )
    }

    // MARK: - jwt-api.md §1.9

    static let vectorStore = ObjectStoreSettings(
        endpoint: "http://minio:9000", accessKey: "minioadmin", secretKey: "changeme_minio", region: "us-east-1")

    static func buckets(publicURL: String?) -> BucketSettings {
        BucketSettings(
            legacyBucket: "messenger-files", avatars: "bh-avatars", uploads: "bh-uploads", stickers: "bh-stickers",
            publicURL: publicURL, presignTTLSeconds: 900)
    }

    static let vectorKey = "uploads/0f8fad5b-d9cb-469f-a165-70867728950e_smoke.txt"
    static let vectorQuery =
        "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=minioadmin%2F20260224%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260224T101112Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=a98c9d834134939b387dfedbdb47546ec798b2fac8c87e644dea8af8236804ef"

    @Test("§1.9 test vector, byte for byte")
    func specVector() {
        let presigner = ObjectURLPresigner(store: Self.vectorStore, buckets: Self.buckets(publicURL: nil))
        let url = presigner.url(bucket: "bh-uploads", key: Self.vectorKey, disposition: nil, now: Self.vectorDate)
        #expect(url == "http://minio:9000/bh-uploads/\(Self.vectorKey)\(Self.vectorQuery)")
    }

    @Test("MINIO_PUBLIC_URL replaces the internal origin and keeps the query, trailing / or not")
    func publicURLRewrite() {
        for publicURL in ["https://example.test/minio", "https://example.test/minio/"] {
            let presigner = ObjectURLPresigner(store: Self.vectorStore, buckets: Self.buckets(publicURL: publicURL))
            let url = presigner.url(bucket: "bh-uploads", key: Self.vectorKey, disposition: nil, now: Self.vectorDate)
            #expect(url == "https://example.test/minio/bh-uploads/\(Self.vectorKey)\(Self.vectorQuery)")
        }
        let empty = ObjectURLPresigner(store: Self.vectorStore, buckets: Self.buckets(publicURL: ""))
        #expect(
            empty.url(bucket: "bh-uploads", key: Self.vectorKey, disposition: nil, now: Self.vectorDate)
                .hasPrefix("http://minio:9000/bh-uploads/"))
    }

    @Test("an https endpoint gives an https URL signed for its host:port (botocore cross-check)")
    func httpsEndpoint() {
        var store = Self.vectorStore
        store.endpoint = "https://store.internal:9443"
        let presigner = ObjectURLPresigner(store: store, buckets: Self.buckets(publicURL: nil))
        let url = presigner.url(
            bucket: "bh-avatars", key: "avatars/1/800d4353f387.jpeg", disposition: nil, now: Self.vectorDate)
        #expect(url.hasPrefix("https://store.internal:9443/bh-avatars/avatars/1/800d4353f387.jpeg?X-Amz-Algorithm="))
        #expect(url.hasSuffix("&X-Amz-Signature=94e94e3281284133a99f5d0d353d27fb688cdf8337abcd6d31804424f71c4921"))
    }

    @Test("disposition parameters are signed and sit between X-Amz-SignedHeaders and X-Amz-Signature")
    func dispositionParametersSigned() {
        let presigner = ObjectURLPresigner(store: Self.vectorStore, buckets: Self.buckets(publicURL: nil))
        let disposition = ContentDisposition.forUserUpload(filename: "rapport final.html", mimeType: "text/html")
        let url = presigner.url(
            bucket: "bh-uploads", key: "uploads/0f8fad5b-d9cb-469f-a165-70867728950e_rapport final.html",
            disposition: disposition, now: Self.vectorDate)
        #expect(
            url == "http://minio:9000/bh-uploads/uploads/0f8fad5b-d9cb-469f-a165-70867728950e_rapport%20final.html"
                + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=minioadmin%2F20260224%2Fus-east-1%2Fs3%2Faws4_request"
                + "&X-Amz-Date=20260224T101112Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host"
                + "&response-content-disposition=attachment%3B%20filename%3D%22rapport_final.html%22%3B%20filename%2A%3DUTF-8%27%27rapport%2520final.html"
                + "&response-content-type=application%2Foctet-stream"
                + "&X-Amz-Signature=f2ea989707e8c88ad42becccdf7f66a7230599627f7d5c17fe900d2565aa2088")
    }
}

extension SigV4SignerTests {
    @Suite("content disposition of user uploads (§3.5.2, D-3)")
    struct ContentDispositionRules {
        @Test("active types download as opaque bytes", arguments: [
            "text/html", "TEXT/HTML; charset=utf-8", "image/svg+xml", "application/xhtml+xml", "text/xml",
            "application/xml", "text/javascript", "application/javascript", "application/x-javascript",
            "application/rss+xml", "multipart/x-mixed-replace", "", "garbage",
        ])
        func activeContent(mimeType: String) {
            let disposition = ContentDisposition.forUserUpload(filename: "page.html", mimeType: mimeType)
            #expect(disposition.mode == .attachment)
            #expect(disposition.headerValue == "attachment; filename=\"page.html\"")
            #expect(disposition.contentTypeOverride == "application/octet-stream")
            #expect(disposition.queryParameters.map(\.0) == ["response-content-disposition", "response-content-type"])
        }

        @Test("other documents download but keep their type")
        func passiveDocuments() {
            for mimeType in ["application/pdf", "text/plain; charset=utf-8", "application/zip"] {
                let disposition = ContentDisposition.forUserUpload(filename: "report.pdf", mimeType: mimeType)
                #expect(disposition.mode == .attachment)
                #expect(disposition.headerValue == "attachment; filename=\"report.pdf\"")
                #expect(disposition.contentTypeOverride == nil)
                #expect(disposition.queryParameters.map(\.0) == ["response-content-disposition"])
            }
        }

        @Test("raster images, audio and video stay inline without parameters", arguments: [
            "image/png", "image/jpeg", "image/gif", "image/webp", "image/heic", "image/heif", "audio/ogg",
            "video/mp4", "Image/PNG",
        ])
        func inlineMedia(mimeType: String) {
            let disposition = ContentDisposition.forUserUpload(filename: "photo.png", mimeType: mimeType)
            #expect(disposition.mode == .inline)
            #expect(disposition.queryParameters.isEmpty)
        }

        @Test("bitmap types browsers do not treat as pictures are not inline")
        func otherImages() {
            for mimeType in ["image/bmp", "image/tiff", "image/x-icon"] {
                #expect(ContentDisposition.forUserUpload(filename: "x", mimeType: mimeType).mode == .attachment)
            }
        }

        @Test("quotes, separators and path components never reach the quoted filename")
        func quotesAndPaths() {
            let header = ContentDisposition.forUserUpload(
                filename: "C:\\fakepath\\a\"b; c=d.txt", mimeType: "text/plain"
            ).headerValue
            #expect(header == "attachment; filename=\"a_b__c_d.txt\"; filename*=UTF-8''a%22b%3B%20c%3Dd.txt")
            let traversal = ContentDisposition.forUserUpload(filename: "../../etc/passwd", mimeType: "text/plain")
            #expect(traversal.headerValue == "attachment; filename=\"passwd\"")
        }

        @Test("non-ASCII names get an ASCII fallback plus RFC 5987 UTF-8")
        func nonASCII() {
            let header = ContentDisposition.forUserUpload(filename: "отчёт 2026.pdf", mimeType: "application/pdf")
                .headerValue
            #expect(
                header
                    == "attachment; filename=\"______2026.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202026.pdf"
            )
        }

        @Test("control and bidi-override characters are dropped from the display name")
        func controlCharacters() {
            let header = ContentDisposition.forUserUpload(
                filename: "invoice\u{202E}fdp.exe\r\nX-Injected: 1", mimeType: "application/octet-stream"
            ).headerValue
            #expect(header?.contains("\r") == false)
            #expect(header?.contains("\n") == false)
            #expect(header?.contains("%E2%80%AE") == false)
            // CR LF is one Character, hence a single `_`.
            #expect(
                header == "attachment; filename=\"invoice_fdp.exe_X-Injected__1\"; filename*=UTF-8''invoicefdp.exeX-Injected%3A%201")
        }

        @Test("empty and over-long names")
        func lengths() {
            #expect(
                ContentDisposition.forUserUpload(filename: "", mimeType: "application/pdf").headerValue
                    == "attachment; filename=\"file\"")
            let long = String(repeating: "a", count: 150) + ".pdf"
            let header = ContentDisposition.forUserUpload(filename: long, mimeType: "application/pdf").headerValue
            #expect(header?.hasPrefix("attachment; filename=\"\(String(repeating: "a", count: 100))\"") == true)
            #expect(header?.hasSuffix("filename*=UTF-8''\(long)") == true)
        }
    }
}

extension SigV4SignerTests {
    @Suite("local blob URLs")
    struct LocalBlobURLs {
        static let signer = LocalBlobURLSigner(
            secret: SymmetricKey(data: Array("a-local-blob-secret-that-is-long-enough".utf8)), lifetimeSeconds: 900)
        static let now = Date(timeIntervalSince1970: 1_771_927_872)

        struct Parsed {
            var bucket: String
            var key: String
            var expires: Int
            var signature: String
            var disposition: String?
        }

        static func parse(_ url: String) throws -> Parsed {
            let components = try #require(URLComponents(string: url))
            let path = components.path
            #expect(path.hasPrefix("/blobs/"))
            let rest = path.dropFirst("/blobs/".count)
            let slash = try #require(rest.firstIndex(of: "/"))
            let items = components.queryItems ?? []
            func value(_ name: String) -> String? { items.first { $0.name == name }?.value }
            return Parsed(
                bucket: String(rest[..<slash]), key: String(rest[rest.index(after: slash)...]),
                expires: try #require(value("expires").flatMap { Int($0) }),
                signature: try #require(value("signature")), disposition: value("disposition"))
        }

        func verify(_ parsed: Parsed, now: Date = LocalBlobURLs.now) -> Bool {
            Self.signer.verify(
                bucket: parsed.bucket, key: parsed.key, expires: parsed.expires, disposition: parsed.disposition,
                signature: parsed.signature, now: now)
        }

        @Test("a URL verifies until it expires, with and without a disposition")
        func roundTrip() throws {
            let plain = try #require(
                Self.signer.url(bucket: "bh-avatars", key: "avatars/1/800d4353f387.jpeg", disposition: nil, now: Self.now))
            #expect(plain.hasPrefix("/blobs/bh-avatars/avatars/1/800d4353f387.jpeg?expires=1771928772&signature="))
            let parsed = try Self.parse(plain)
            #expect(parsed.signature.count == 64)
            #expect(verify(parsed))
            #expect(verify(parsed, now: Self.now.addingTimeInterval(900)))
            #expect(!verify(parsed, now: Self.now.addingTimeInterval(901)))

            let disposition = ContentDisposition.forUserUpload(filename: "a \"b\" é.txt", mimeType: "text/plain")
            let withDisposition = try #require(
                Self.signer.url(bucket: "bh-uploads", key: "uploads/x_a.txt", disposition: disposition, now: Self.now))
            let parsedDisposition = try Self.parse(withDisposition)
            #expect(parsedDisposition.disposition == disposition.headerValue)
            #expect(verify(parsedDisposition))
        }

        @Test("any change to signature, key, bucket, expiry or disposition is refused")
        func tampering() throws {
            let disposition = ContentDisposition.forUserUpload(filename: "a.pdf", mimeType: "application/pdf")
            let parsed = try Self.parse(
                try #require(Self.signer.url(bucket: "bh-uploads", key: "uploads/a.pdf", disposition: disposition, now: Self.now)))
            #expect(verify(parsed))

            var flipped = parsed
            let last = flipped.signature.removeLast()
            flipped.signature.append(last == "0" ? "1" : "0")
            #expect(!verify(flipped))
            var upper = parsed
            upper.signature = parsed.signature.uppercased()
            #expect(!verify(upper))
            var truncated = parsed
            truncated.signature.removeLast()
            #expect(!verify(truncated))
            var empty = parsed
            empty.signature = ""
            #expect(!verify(empty))
            var otherKey = parsed
            otherKey.key = "uploads/b.pdf"
            #expect(!verify(otherKey))
            var otherBucket = parsed
            otherBucket.bucket = "bh-avatars"
            #expect(!verify(otherBucket))
            var longer = parsed
            longer.expires += 3_600
            #expect(!verify(longer))
            var inline = parsed
            inline.disposition = nil
            #expect(!verify(inline))

            let otherSecret = LocalBlobURLSigner(
                secret: SymmetricKey(data: Array("another-local-blob-secret-long-enough!".utf8)), lifetimeSeconds: 900)
            #expect(
                !otherSecret.verify(
                    bucket: parsed.bucket, key: parsed.key, expires: parsed.expires, disposition: parsed.disposition,
                    signature: parsed.signature, now: Self.now))
        }

        static let refusedKeys = [
            "../x", "a/../b", "/abs", "a//b", "a/./b", "", "a\u{0}b", ".", "..", "a/", "a/..", "a\\b", "a%2F..",
            "é", "a b", String(repeating: "a", count: 513),
        ]

        @Test("traversal and non-canonical keys are refused everywhere", arguments: refusedKeys)
        func unsafeKeys(key: String) {
            #expect(!BlobKey.isSafeObjectKey(key))
            #expect(Self.signer.url(bucket: "bh-uploads", key: key, disposition: nil, now: Self.now) == nil)
            #expect(
                !Self.signer.verify(
                    bucket: "bh-uploads", key: key, expires: 1_771_928_772, disposition: nil,
                    signature: String(repeating: "0", count: 64), now: Self.now))
        }

        @Test("plain relative keys are accepted")
        func safeKeys() {
            for key in [
                "a", "uploads/0f8fad5b-d9cb-469f-a165-70867728950e_smoke.txt", "voice/voice_1_abcd1234.webm",
                "a/.hidden/b..c/...", String(repeating: "a", count: 512),
            ] {
                #expect(BlobKey.isSafeObjectKey(key))
            }
        }

        @Test("bucket names are a single safe segment")
        func buckets() {
            #expect(BlobKey.isSafeBucketName("bh-uploads"))
            for bucket in ["", ".", "..", "a/b", "../x", String(repeating: "b", count: 64)] {
                #expect(!BlobKey.isSafeBucketName(bucket))
                #expect(Self.signer.url(bucket: bucket, key: "a", disposition: nil, now: Self.now) == nil)
            }
        }
    }
}
