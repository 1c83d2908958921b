import MessengerCore
import Testing

@Suite("Which dependency an error counts against")
struct MonitoredDependencyTests {
    @Test("Redis, object store and unrelated errors")
    func classification() {
        #expect(MonitoredDependency(failureOf: RedisError("connection refused")) == .redis)
        #expect(MonitoredDependency(failureOf: BlobStoreError.unexpectedStatus(503, operation: "PUT")) == .objectStore)
        // A name the client refused to send is the caller's problem, not the store's.
        #expect(MonitoredDependency(failureOf: BlobStoreError.unsafeName("../x")) == nil)
        #expect(MonitoredDependency(failureOf: CancellationError()) == nil)
    }
}
