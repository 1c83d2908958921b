import Foundation

/// Finds the versioned SQL files: `MIGRATIONS_DIR`, else `./migrations`, else a `migrations`
/// directory next to or above the executable (a checkout's `.build/debug/gateway`, or an image
/// that installs them beside the binary).
enum MigrationsDirectory {
    static func locate(environment: [String: String]) throws -> URL {
        if let explicit = environment["MIGRATIONS_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("migrations")]
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("migrations"))
            directory = directory.deletingLastPathComponent()
        }
        var isDirectory: ObjCBool = false
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory) && isDirectory.boolValue {
            return candidate
        }
        throw CommandFailure("no migrations directory found (looked in \(candidates.map(\.path).joined(separator: ", "))); set MIGRATIONS_DIR")
    }
}
