/// Runs a piece of a connection's work in a child task that ends with it.
///
/// A task keeps the memory of its deepest call for as long as it lives: the Swift runtime's task
/// allocator takes async frames from ~1 KB slabs that it frees only with the task. A socket's
/// long-lived tasks would otherwise each hold the slabs of the JWT check, the database lease and
/// the Redis subscribe they once went through, for as long as the socket stays open. Handing those
/// calls to a short-lived child returns that memory as soon as they finish (docs/websocket.md,
/// "Memory per connection"). One child per client message: cheap next to what the message does.
enum ShortLivedTask {
    static func run(_ work: @escaping @Sendable () async -> Void) async {
        await withDiscardingTaskGroup { group in
            group.addTask(operation: work)
        }
    }
}
