import ChatStore
import ChatTestSupport
import XCTest

/// The embedded store against the contract every store must meet.
final class SQLiteStoreConformanceTests: AccountStoreConformance {
    /// A fresh file per check, closed when the test ends.
    override func makeStore() async throws -> any Store {
        let path = try makeTemporaryDirectory().appendingPathComponent("users.db").path
        let store = try SQLiteStore(path: path)
        addTeardownBlock { try? store.close() }
        return store
    }

    func testConformance() async {
        await checkConformance()
    }
}
