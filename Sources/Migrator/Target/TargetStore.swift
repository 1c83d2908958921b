import Foundation
import Logging
import MessengerCore
import PostgresNIO

/// The gateway's PostgreSQL schema as the migrator reads and writes it: bookkeeping
/// (checkpoints, row digests, runs) and the conflict checks. The table writes are in
/// `TargetStore+Writes.swift`.
public struct TargetStore: Sendable {
    public let client: PostgresClient
    public let buckets: BucketSettings
    let logger: Logger
    /// Set for the writes of a bulk copy in `BulkForeignKeys.replicaRole` mode.
    public var skipsForeignKeyTriggers = false

    public init(client: PostgresClient, buckets: BucketSettings, logger: Logger) {
        self.client = client
        self.buckets = buckets
        self.logger = logger
    }

    /// The schema must exist (`gateway migrate`); the migrator never creates or changes it.
    public func requireSchema() async throws {
        let rows = try await client.query(
            """
            SELECT to_regclass('public.migrator_checkpoints') IS NOT NULL AND to_regclass('public.messages') IS NOT NULL
               AND to_regclass('public.migrator_suspended_constraints') IS NOT NULL
               AND to_regclass('public.migrator_suspended_indexes') IS NOT NULL
            """,
            logger: logger)
        for try await present in rows.decode(Bool.self) where present { return }
        throw MigratorFailure.schemaMissing
    }

    /// Runs `body` holding a session advisory lock, so two migrators never write at once.
    public func withRunLock<Result: Sendable>(_ body: @Sendable () async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            let rows = try await connection.query("SELECT pg_try_advisory_lock(\(Self.runLockKey))", logger: logger)
            var acquired = false
            for try await value in rows.decode(Bool.self) { acquired = value }
            guard acquired else { throw MigratorFailure.anotherRunActive }
            do {
                let result = try await body()
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.runLockKey))", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.runLockKey))", logger: logger)
                throw error
            }
        }
    }

    static let runLockKey: Int64 = 7_235_478_012

    // MARK: bookkeeping

    public struct Checkpoint: Sendable, Equatable {
        public var lastSourceID: Int64
        public var rowsCopied: Int64
    }

    public func checkpoint(_ table: String) async throws -> Checkpoint {
        let rows = try await client.query(
            "SELECT last_source_id, rows_copied FROM migrator_checkpoints WHERE source_table = \(table)", logger: logger)
        for try await (last, copied) in rows.decode((Int64, Int64).self) {
            return Checkpoint(lastSourceID: last, rowsCopied: copied)
        }
        return Checkpoint(lastSourceID: 0, rowsCopied: 0)
    }

    public func digests(_ table: String) async throws -> [Int64: [UInt8]] {
        var result: [Int64: [UInt8]] = [:]
        let rows = try await client.query(
            "SELECT source_id, digest FROM migrator_row_digests WHERE source_table = \(table)", logger: logger)
        for try await (id, digest) in rows.decode((Int64, ByteBuffer).self) {
            result[id] = Array(buffer: digest)
        }
        return result
    }

    public func recordRunStart(sourcePath: String) async throws -> Int64 {
        let rows = try await client.query(
            "INSERT INTO migrator_runs (source_path, outcome) VALUES (\(sourcePath), 'running') RETURNING id", logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return 0
    }

    public func recordRunEnd(id: Int64, outcome: String, report: String) async throws {
        try await client.query(
            "UPDATE migrator_runs SET finished_at = now(), outcome = \(outcome), report = \(report)::jsonb WHERE id = \(id)",
            logger: logger)
    }

    // MARK: conflicts

    /// Ids of `table` (users, chats or stickers) among `ids` that already exist.
    public func existingIDs(_ table: MigratedTable, among ids: [Int64]) async throws -> [Int64] {
        guard !ids.isEmpty else { return [] }
        let query = PostgresQuery(
            unsafeSQL: "SELECT id FROM \(table.targetTable) WHERE id = ANY($1) ORDER BY id",
            binds: try Self.binds(ids))
        var found: [Int64] = []
        for try await id in try await client.query(query, logger: logger).decode(Int64.self) { found.append(id) }
        return found
    }

    /// Target users (other than `ids`) whose name folds to one of `foldedNames`.
    public func usersHoldingNames(_ foldedNames: [String], excluding ids: [Int64]) async throws -> [(id: Int64, username: String)] {
        guard !foldedNames.isEmpty else { return [] }
        let rows = try await client.query(
            """
            SELECT id, username FROM users
            WHERE ascii_casefold(username) = ANY(\(foldedNames)) AND NOT (id = ANY(\(ids))) ORDER BY id LIMIT 1000
            """, logger: logger)
        var found: [(Int64, String)] = []
        for try await row in rows.decode((Int64, String).self) { found.append(row) }
        return found
    }

    /// Target chats (other than `ids`) that already are the direct chat of one of `keys`.
    public func chatsHoldingDirectKeys(_ keys: [String], excluding ids: [Int64]) async throws -> [(id: Int64, key: String)] {
        guard !keys.isEmpty else { return [] }
        let rows = try await client.query(
            "SELECT id, direct_key FROM chats WHERE direct_key = ANY(\(keys)) AND NOT (id = ANY(\(ids))) ORDER BY id LIMIT 1000",
            logger: logger)
        var found: [(Int64, String)] = []
        for try await row in rows.decode((Int64, String).self) { found.append(row) }
        return found
    }

    /// Messages past the checkpoint that the migrator did not write (the checkpoint moves in the
    /// same transaction as the rows), up to the source's highest id.
    public func messagesPastCheckpoint(after checkpoint: Int64, upTo mark: Int64) async throws -> [Int64] {
        let rows = try await client.query(
            "SELECT id FROM messages WHERE id > \(checkpoint) AND id <= \(mark) ORDER BY id LIMIT 1000", logger: logger)
        var found: [Int64] = []
        for try await id in rows.decode(Int64.self) { found.append(id) }
        return found
    }

    static func binds(_ ids: [Int64]) throws -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(ids)
        return bindings
    }
}

/// The source tables the migrator copies, with the target table each lands in.
public enum MigratedTable: String, Sendable, CaseIterable, Codable {
    case users
    case userSettings = "user_settings"
    case stickers
    case conversations
    case messages

    public var targetTable: String {
        switch self {
        case .users: "users"
        case .userSettings: "user_settings"
        case .stickers: "stickers"
        case .conversations: "chats"
        case .messages: "messages"
        }
    }
}
