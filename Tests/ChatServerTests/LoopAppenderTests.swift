import ChatModel
import ChatStore
import ChatTestSupport
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import ChatServer

/// A direct message to someone offline is stored in its own transaction, not through
/// the loop's batch: it waits until the batch holding its sender's earlier messages is
/// stored, so that it cannot take a smaller id (catch-up and history show messages
/// in id order: bob's "in #dev" then his DM, as he wrote them, not the other way
/// round, which `CatchUpBinaryTests` saw when the store was slow to commit).
final class LoopAppenderTests: XCTestCase {
    func testWhatWaitsForEarlierMessagesRunsOnlyOnceTheyAreStored() async throws {
        let sqlite = try SQLiteStore(path: try makeTemporaryDirectory().appendingPathComponent("chat.db").path)
        defer { try? sqlite.close() }
        for name in ["alice", "bob"] {
            try sqlite.addUser(UserName(name)!, passwordHash: "not used here")
        }
        let aliceRecord = try await sqlite.account(named: UserName("alice")!)
        let bobRecord = try await sqlite.account(named: UserName("bob")!)
        let alice = try XCTUnwrap(aliceRecord).credential.account
        let bob = try XCTUnwrap(bobRecord).credential.account
        let store = HeldConversationStore(sqlite)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let fanOut = FanOutQueue(loop: loop, bytesPerPass: 64 * 1024)
        sqlite.afterEachBatch { fanOut.flush() }  // as the server wires them
        // Touched on its loop only, as in the server.
        let appender = try await loop.submit { NIOLoopBound(LoopAppender(eventLoop: loop, store: store, fanOut: fanOut), eventLoop: loop) }.get()
        let roomMessage = NIOLockedValueBox<EventID?>(nil)
        let directMessage = NIOLockedValueBox<EventID?>(nil)

        store.hold()
        try await loop.submit {
            let said = NewEvent(
                conversation: .room(RoomName("#dev")!), sender: bob, senderName: UserName("bob")!, text: "in dev", sentAt: Date())
            appender.value.append(said) { result in roomMessage.withLockedValue { $0 = try? result.get() } }
            appender.value.afterEarlierAppends {
                // What Conversations does for a DM to an offline account.
                let dm = NewEvent(
                    conversation: .direct(bob, alice), sender: bob, senderName: UserName("bob")!, text: "a plain DM", sentAt: Date())
                Task {
                    guard case .queued(let id) = try await sqlite.enqueueOffline(dm, for: alice, limit: 100) else { return }
                    directMessage.withLockedValue { $0 = id }
                }
            }
        }.get()

        // The batch reached the store, which holds it: the DM must wait.
        for _ in 0..<100 where store.heldCount == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(store.heldCount, 1)
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertNil(directMessage.withLockedValue { $0 }, "the DM was stored while the earlier message was not")

        store.release()
        for _ in 0..<500 where directMessage.withLockedValue({ $0 }) == nil || roomMessage.withLockedValue({ $0 }) == nil {
            try await Task.sleep(for: .milliseconds(10))
        }
        let said = try XCTUnwrap(roomMessage.withLockedValue { $0 })
        let dm = try XCTUnwrap(directMessage.withLockedValue { $0 })
        XCTAssertLessThan(said.rawValue, dm.rawValue, "ids in the order bob wrote")

        // Nothing pending any more: a later wait ends at once.
        let ran = NIOLockedValueBox(false)
        try await loop.submit {
            appender.value.afterEarlierAppends { ran.withLockedValue { $0 = true } }
            XCTAssertTrue(ran.withLockedValue { $0 })
        }.get()
    }
}
