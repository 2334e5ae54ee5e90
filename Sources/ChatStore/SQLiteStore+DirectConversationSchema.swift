import ChatModel
internal import GRDB

extension SQLiteStore {
    /// Each account's direct conversations, so that catch-up and `DMSENT` lines find
    /// them without scanning the log: `event.conversation` keys them `dm:<low>:<high>`,
    /// which an index finds by the low id only.
    ///
    /// - One row per side, keyed (account, conversation) `WITHOUT ROWID`: an account's
    ///   conversations are one index range, and the insert that every direct message
    ///   runs is a primary-key probe once the rows exist.
    /// - The row goes with its own account (ON DELETE CASCADE), not with the peer's:
    ///   the survivor's history keeps the conversation and the peer's name
    ///   (`peer_name`, since the account row is gone).
    /// - Rows are filled for the direct conversations already in the log.
    static func migrateToDirectConversations(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE direct_conversation (
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    conversation TEXT NOT NULL,
                    peer_id INTEGER NOT NULL,
                    peer_name TEXT NOT NULL,
                    PRIMARY KEY (user_id, conversation)
                ) WITHOUT ROWID;
                """)
        // A range on the conversation index (';' follows ':'), where LIKE would scan.
        let keys = try String.fetchAll(db, sql: "SELECT DISTINCT conversation FROM event WHERE conversation >= 'dm:' AND conversation < 'dm;'")
        for key in keys {
            guard let conversation = ConversationID(storageKey: key), case .direct(let low, let high) = conversation.kind else { continue }
            try DirectConversationSQL.record(conversation, between: low, and: high, in: db)
        }
    }
}
