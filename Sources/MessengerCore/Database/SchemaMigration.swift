import Crypto
import Foundation

/// One versioned SQL file, named Flyway-style: `V<version>__<name>.sql`.
public struct SchemaMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    /// SHA-256 of the file's bytes, lowercase hex: an applied file that changes afterwards is refused.
    public var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads every `V*__*.sql` file of `directory`, ordered by version. Two files with one version,
    /// or a file that does not follow the naming rule, is an error rather than silently skipped.
    public static func load(from directory: URL) throws -> [SchemaMigration] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var migrations: [SchemaMigration] = []
        for fileName in names.sorted() where fileName.hasSuffix(".sql") {
            guard let parsed = parse(fileName: fileName) else {
                throw SchemaMigrationError.badFileName(fileName)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(fileName), encoding: .utf8)
            migrations.append(SchemaMigration(version: parsed.version, name: parsed.name, sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (previous, next) in zip(migrations, migrations.dropFirst()) where previous.version == next.version {
            throw SchemaMigrationError.duplicateVersion(next.version)
        }
        return migrations
    }

    static func parse(fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasPrefix("V"), fileName.hasSuffix(".sql"),
              let separator = fileName.range(of: "__")
        else { return nil }
        let versionText = fileName[fileName.index(after: fileName.startIndex)..<separator.lowerBound]
        guard let version = Int(versionText), version > 0 else { return nil }
        let name = fileName[separator.upperBound..<fileName.index(fileName.endIndex, offsetBy: -4)]
        guard !name.isEmpty else { return nil }
        return (version, String(name))
    }
}

public enum SchemaMigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(String)
    case duplicateVersion(Int)
    case checksumMismatch(version: Int, name: String)
    case appliedButMissing(version: Int)
    case directoryNotFound(String)
    case statementFailed(version: Int, statement: String, reason: String)

    public var description: String {
        switch self {
        case .badFileName(let name):
            "migration file \(name) does not follow the V<version>__<name>.sql rule"
        case .duplicateVersion(let version):
            "two migration files share version \(version)"
        case .checksumMismatch(let version, let name):
            "applied migration V\(version)__\(name).sql was edited after it was applied; add a new migration instead"
        case .appliedButMissing(let version):
            "the database has migration V\(version) applied but no such file exists; is this an older gateway build?"
        case .statementFailed(let version, let statement, let reason):
            "migration V\(version) failed: \(reason) — in: \(statement)"
        case .directoryNotFound(let path):
            "migrations directory \(path) not found (set MIGRATIONS_DIR)"
        }
    }
}
