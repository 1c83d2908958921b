import Hummingbird
import MessengerCore

/// §5.6 users, §5.13/§5.14 profile, §5.18 the stable avatar URL.
struct UserRoutes: Sendable {
    let core: CoreServices
    let directory: UserDirectory
    let editor: ProfileEditor

    init(core: CoreServices) {
        self.core = core
        self.directory = UserDirectory(core: core)
        self.editor = ProfileEditor(core: core)
    }

    func add<Context: LegacyRequestContext>(to table: LegacyRouteTable<Context>) {
        table.api(.get, "/users") { _, context in try await users(context) }
        table.api(.get, "/profile") { _, context in try await profile(context) }
        table.api(.put, "/profile") { request, context in try await updateProfile(request, context) }
        table.api(.get, "/users/:id/avatar") { _, context in try await avatar(context) }
    }

    static let profileNotFound = LegacyError(.notFound, "Not found")
    static let invalidProfile = LegacyError(.badRequest, "Invalid profile")

    func users(_ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        let users = try await directory.allUsers(except: session.userID)
        return LegacyJSONResponse.make(.array(users.map(LegacyObjects.userSummary)))
    }

    func profile(_ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        guard let user = try await directory.publicProfile(id: session.userID) else { throw Self.profileNotFound }
        return LegacyJSONResponse.make(LegacyObjects.profile(user))
    }

    /// A full replacement (§5.14): each field trimmed, cut to its length, NULL when empty. A field
    /// of the wrong type, or a body that is not JSON, is refused rather than clearing the profile.
    func updateProfile(_ request: Request, _ context: some LegacyRequestContext) async throws -> Response {
        let session = try context.requireSession()
        guard case .object(let body) = try await LegacyJSONBody.read(request),
              let rawName = LegacyValue.textOrEmpty(body["display_name"]),
              let rawBio = LegacyValue.textOrEmpty(body["bio"])
        else { throw Self.invalidProfile }
        let displayName = PythonText.prefix(PythonText.strip(rawName), 64)
        let bio = PythonText.prefix(PythonText.strip(rawBio), 200)
        do {
            _ = try await editor.replaceDisplayNameAndBio(
                userID: session.userID, displayName: displayName.isEmpty ? nil : displayName, bio: bio.isEmpty ? nil : bio)
        } catch ProfileEditError.unstorableText {
            throw Self.invalidProfile
        } catch ProfileEditError.userNotFound {
            throw Self.profileNotFound
        }
        guard let user = try await directory.publicProfile(id: session.userID) else { throw Self.profileNotFound }
        return LegacyJSONResponse.make(LegacyObjects.profile(user))
    }

    /// 302 to a freshly signed URL of the user's avatar; 404 (HTML) without one (§5.18).
    func avatar(_ context: some LegacyRequestContext) async throws -> Response {
        _ = try context.requireSession()
        guard let text = context.parameters.get("id"), let id = PythonText.identifierOrBeyond(text),
              let user = try await directory.publicProfile(id: id), let avatar = user.avatar,
              let url = avatar.url(signedBy: core.objectURLs)
        else { throw LegacyError.notFoundPage }
        return Self.temporaryRedirect(to: url)
    }

    /// The signed URL expires; a cached redirect would outlive it.
    static func temporaryRedirect(to url: String) -> Response {
        Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
    }
}
