import MessengerCore

/// The UserPublic object of jwt-api.md §3.0: display name falling back to the username only when
/// NULL, and a freshly presigned avatar URL carrying the user-upload disposition (§1.9).
enum UserPublicJSON {
    static func body(of profile: UserProfile, objectURLs: any ObjectURLSigning) -> JSONValue {
        [
            "id": .integer(profile.id),
            "username": .string(profile.username),
            "display_name": .string(profile.displayNameOrUsername),
            "bio": JSONValue(profile.bio),
            "is_admin": .bool(profile.isAdmin),
            "avatar_url": JSONValue(profile.avatar?.url(signedBy: objectURLs)),
        ]
    }
}
