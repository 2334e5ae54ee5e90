import ChatModel

/// A store on this machine, whose login read is a few microseconds of local file I/O
/// (the embedded SQLite file), may also be read from a thread that is allowed to block.
///
/// The server then reads the login snapshot on the hashing pool's thread, right before
/// the Argon2id check: one trip off the event loop per login instead of one to the
/// store's thread and another to the hashing pool, each a thread wake-up and two
/// context switches. A store a network round trip away does not adopt this: a hashing
/// thread must not sit idle waiting for a network.
public protocol LocalLoginSnapshots: AccountStore {
    /// What `loginSnapshot(named:)` answers, read on the calling thread, which waits
    /// for the disk meanwhile.
    func loginSnapshotBlocking(named name: UserName) throws -> LoginSnapshot?
}
