import MessengerCore
import Testing

@Suite("Upload types: magic bytes decide, claims only disambiguate")
struct UploadTypePolicyTests {
    let policy = UploadTypePolicy()

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
    static let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16]
    static let webm: [UInt8] = [0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01] + Array("B\u{82}\u{84}webm".utf8)
    static let ogg: [UInt8] = Array("OggS".utf8) + [0, 2, 0, 0]
    static let m4a: [UInt8] = [0, 0, 0, 0x20] + Array("ftypM4A ".utf8) + [0, 0, 0, 0]
    static let pdf: [UInt8] = Array("%PDF-1.7\n".utf8)

    @Test("recognised formats are stored as sniffed, whatever the claim outside their family")
    func sniffedTypes() throws {
        #expect(try policy.decide(claimed: "image/png", prefix: Self.png, purpose: .attachment) == "image/png")
        #expect(try policy.decide(claimed: nil, prefix: Self.jpeg, purpose: .attachment) == "image/jpeg")
        #expect(try policy.decide(claimed: "application/octet-stream", prefix: Self.pdf, purpose: .attachment) == "application/pdf")
        #expect(try policy.decide(claimed: "text/plain; charset=utf-8", prefix: Array("hello\n".utf8), purpose: .attachment) == "text/plain")
        #expect(try policy.decide(claimed: nil, prefix: [0x00, 0x01, 0xFE, 0x42], purpose: .attachment) == "application/octet-stream")
    }

    @Test("a claim of the same container family is kept when allowed")
    func containerFamilies() throws {
        #expect(try policy.decide(claimed: "audio/webm", prefix: Self.webm, purpose: .attachment) == "audio/webm")
        #expect(try policy.decide(claimed: nil, prefix: Self.webm, purpose: .attachment) == "video/webm")
        #expect(try policy.decide(claimed: "audio/x-m4a", prefix: Self.m4a, purpose: .attachment) == "audio/x-m4a")
        #expect(try policy.decide(claimed: "audio/x-wav", prefix: Array("RIFF\u{0}\u{0}\u{0}\u{0}WAVE".utf8), purpose: .attachment) == "audio/wav")
    }

    @Test("active content is refused, claimed or sniffed")
    func activeContent() {
        for claim in ["text/html", "image/svg+xml", "application/xhtml+xml", "text/javascript", "application/xml"] {
            #expect(throws: FileError.unsupportedType) { try policy.decide(claimed: claim, prefix: Array("hi".utf8), purpose: .attachment) }
        }
        for body in ["<!DOCTYPE html><p>x", "  \n<html>", "\u{FEFF}<svg xmlns='http://www.w3.org/2000/svg'>", "<?xml version=\"1.0\"?>", "<script>alert(1)</script>"] {
            #expect(throws: FileError.unsupportedType) { try policy.decide(claimed: "text/plain", prefix: Array(body.utf8), purpose: .attachment) }
        }
        // Markup later in a text file is just text (it is served as a download).
        #expect((try? policy.decide(claimed: nil, prefix: Array("see <b>this</b>".utf8), purpose: .attachment)) == "text/plain")
    }

    @Test("an image claim the bytes contradict is a mismatch")
    func imageMismatch() {
        #expect(throws: FileError.contentMismatch) { try policy.decide(claimed: "image/png", prefix: Self.jpeg, purpose: .attachment) }
        #expect(throws: FileError.contentMismatch) { try policy.decide(claimed: "image/gif", prefix: Array("GIF? no".utf8), purpose: .attachment) }
    }

    @Test("each purpose has its own allow-list; voice is labelled audio")
    func purposes() throws {
        #expect(try policy.decide(claimed: nil, prefix: Self.png, purpose: .avatar) == "image/png")
        #expect(throws: FileError.unsupportedType) { try policy.decide(claimed: nil, prefix: Self.pdf, purpose: .avatar) }
        #expect(throws: FileError.unsupportedType) { try policy.decide(claimed: nil, prefix: Array("text".utf8), purpose: .voice) }
        #expect(try policy.decide(claimed: "video/webm", prefix: Self.webm, purpose: .voice) == "audio/webm")
        #expect(try policy.decide(claimed: nil, prefix: Self.ogg, purpose: .voice) == "audio/ogg")
        #expect(try policy.decide(claimed: nil, prefix: Self.m4a, purpose: .voice) == "audio/mp4")
        let strict = UploadTypePolicy(attachmentTypes: ["image/png", "text/html"])
        #expect(throws: FileError.unsupportedType) { try strict.decide(claimed: nil, prefix: Self.pdf, purpose: .attachment) }
        #expect(strict.attachmentTypes == ["image/png"])
    }

    @Test("ALLOWED_UPLOAD_MIME_TYPES replaces the attachment list; unset keeps the §9.2 default")
    func configuredAllowList() throws {
        var env = GatewayConfigurationTests.strongSecrets
        #expect(try GatewayConfiguration(environment: env).allowedUploadMimeTypes == UploadPurpose.defaultAttachmentTypes)
        env["ALLOWED_UPLOAD_MIME_TYPES"] = "image/PNG, application/pdf ,text/html"
        let configured = try GatewayConfiguration(environment: env).allowedUploadMimeTypes
        #expect(configured == ["image/png", "application/pdf", "text/html"])
        let configuredPolicy = UploadTypePolicy(attachmentTypes: configured)
        #expect(try configuredPolicy.decide(claimed: nil, prefix: Self.pdf, purpose: .attachment) == "application/pdf")
        #expect(throws: FileError.unsupportedType) {
            try configuredPolicy.decide(claimed: nil, prefix: Array("plain".utf8), purpose: .attachment)
        }
    }
}
