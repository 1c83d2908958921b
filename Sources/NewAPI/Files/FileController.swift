import Hummingbird
import MessengerCore
import NIOCore

/// POST /files and GET /files/{id}/download (jwt-api.md §3.5): parse, authorize, call
/// ``FileService``, encode.
struct FileController {
    let files: FileService
    let authenticator: RequestAuthenticator
    let rateLimiter: RateLimiter
    /// `MAX_FILE_SIZE_MB` in bytes: the limit of the whole request body, framing included.
    let maximumBodyBytes: Int

    init(core: CoreServices, authenticator: RequestAuthenticator) {
        self.files = FileService(core: core)
        self.authenticator = authenticator
        self.rateLimiter = core.rateLimiter
        self.maximumBodyBytes = core.limits.maxFileSizeBytes
    }

    func addRoutes<Context: NewAPIRequestContext>(to router: Router<Context>) {
        router.post("/files") { request, _ in try await upload(request) }
        router.get("/files/:id/download") { request, context in try await download(request, context) }
    }

    static let noFile = APIError(.badRequest, "No file uploaded (use multipart/form-data field 'file')")
    static let fileNotFound = APIError(.notFound, "File not found")

    var tooLarge: APIError { APIError(.contentTooLarge, "File too large (max \(maximumBodyBytes >> 20) MB)") }

    func upload(_ request: Request) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        try await rateLimiter.enforce(.uploadPerUser, subject: String(identity.userID))
        // A declared length over the limit is refused before a byte is read.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maximumBodyBytes {
            throw tooLarge
        }
        guard let boundary = MultipartBoundary.parse(contentType: request.headers[.contentType]) else { throw Self.noFile }
        let reader = MultipartFileReader(body: request.body.makeAsyncIterator(), boundary: boundary, limit: maximumBodyBytes)
        let stored: StoredFile
        do {
            guard let part = try await reader.nextFilePart() else { throw Self.noFile }
            stored = try await files.store(
                UploadRequest(
                    uploaderID: identity.userID, purpose: .attachment, filename: part.filename, claimedType: part.contentType,
                    maximumBytes: maximumBodyBytes),
                content: reader.fileBytes)
        } catch let failure as MultipartFileReader<RequestBody.AsyncIterator>.ReadError {
            switch failure {
            case .tooLarge: throw tooLarge
            case .malformed: throw Self.noFile
            }
        } catch let error as FileError {
            throw apiError(error)
        }
        var reply: [String: JSONValue] = [
            "id": .integer(stored.id),
            "filename": .string(stored.filename),
            "mime_type": JSONValue(stored.mimeType),
            "object_key": .string(stored.objectKey),
        ]
        if let size = stored.sizeBytes { reply["size_bytes"] = .integer(size) }
        return try JSONResponse.encode(JSONValue.object(reply), status: .created)
    }

    func download(_ request: Request, _ context: some RequestContext) async throws -> Response {
        let identity = try await authenticator.identity(of: request)
        let id = try PathID.parse(context)
        guard let file = try await files.readableFile(id: id, by: identity.userID),
              let url = files.downloadURL(for: file)
        else { throw Self.fileNotFound }
        // The URL expires; a cached redirect would outlive it.
        return Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
    }

    func apiError(_ error: FileError) -> APIError {
        switch error {
        case .tooLarge: tooLarge
        case .unsupportedType: APIError(.unsupportedMediaType, "Unsupported file type")
        case .contentMismatch: APIError(.unsupportedMediaType, "File content does not match its type")
        case .notFound: Self.fileNotFound
        case .storageFailed: APIError(.badGateway, "Object storage upload failed")
        case .storageUnavailable: APIError(.serviceUnavailable, "Object storage unavailable")
        }
    }
}
