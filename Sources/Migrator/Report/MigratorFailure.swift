/// Why a command stopped, each with its documented exit code (README "Migration from
/// api_legacy", docs/migrator.md).
public enum MigratorFailure: Error, CustomStringConvertible {
    case schemaMissing
    case anotherRunActive
    /// `--bulk-foreign-keys replica-role` for a role that may not set session_replication_role.
    case replicaRoleDenied
    /// Stopped on purpose part-way (MIGRATOR_STOP_AFTER_BATCHES, used by the crash tests).
    case interrupted(batches: Int)

    public var description: String {
        switch self {
        case .schemaMissing:
            "the target database has no gateway schema: run `gateway migrate` against it first"
        case .anotherRunActive:
            "another migrator run holds the target database's migration lock"
        case .replicaRoleDenied:
            "--bulk-foreign-keys replica-role: this role may not set session_replication_role (needs a superuser, or GRANT SET ON PARAMETER session_replication_role on PostgreSQL 15+); use auto or recreate"
        case .interrupted(let batches):
            "stopped after \(batches) message batches (MIGRATOR_STOP_AFTER_BATCHES)"
        }
    }
}

/// The process exit codes.
public enum MigratorExitCode: Int32, Sendable, Codable {
    /// Run: complete, no row needed a bad-data rule. Verify: no difference.
    case success = 0
    /// Failed (source unreadable, database unreachable, schema missing, I/O error). Committed
    /// batches stay; `run` again resumes.
    case failure = 1
    /// Run: complete, and some rows were handled by a bad-data rule (listed in the report).
    case completedWithProblems = 2
    /// Run: refused, the target holds other data under the same ids; nothing was written.
    case refused = 3
    /// Verify: source and target differ (listed in the report).
    case differences = 4
    /// Wrong command line (swift-argument-parser's validation code).
    case usage = 64
}
