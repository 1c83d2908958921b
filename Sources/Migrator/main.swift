import Foundation

// The legacy SQLite -> PostgreSQL copy is issue #7 and not built yet. Say so plainly instead of
// pretending to succeed.
FileHandle.standardError.write(Data("migrator: not implemented yet (see README, \"Migration from api_legacy\")\n".utf8))
exit(2)
