import ChatModel
import Foundation
internal import GRDB

/// The SQL that finds an account's direct conversations, and catch-up across all of an
/// account's conversations, each inside a transaction its caller opened. The table is
/// made by the "v6-direct-conversations" migration.
enum DirectConversationSQL {
    /// Notes that `conversation` (between `low` and `high`) exists, for both sides;
    /// runs with every direct message's insert, and costs a primary-key probe per side
    /// once the rows exist.
    static func record(_ conversation: ConversationID, between low: AccountID, and high: AccountID, in db: Database) throws {
        try recordSide(conversation.storageKey, account: low, peer: high, in: db)
        if low != high {
            try recordSide(conversation.storageKey, account: high, peer: low, in: db)
        }
    }

    /// One side's row, named after the peer as the account table spells it, or, for a
    /// peer already deleted (only when migrating an old log), as its last message in
    /// the conversation signed it. A side whose own account is gone gets no row.
    private static func recordSide(_ key: String, account: AccountID, peer: AccountID, in db: Database) throws {
        let statement = try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO direct_conversation (user_id, conversation, peer_id, peer_name)
                    SELECT u.id, ?1, ?2, n.name FROM user u, (SELECT COALESCE(
                            (SELECT name FROM user WHERE id = ?2),
                            (SELECT sender_name FROM event WHERE conversation = ?1 AND sender_id = ?2 ORDER BY id DESC LIMIT 1)
                        ) AS name) n
                    WHERE u.id = ?3 AND n.name IS NOT NULL
                """
        )
        try statement.execute(arguments: [key, peer.rawValue, account.rawValue])
    }

    static func conversations(of account: AccountID, in db: Database) throws -> [DirectConversation] {
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT conversation, peer_id, peer_name FROM direct_conversation WHERE user_id = ? ORDER BY peer_id"),
            arguments: [account.rawValue]
        )
        return try rows.map { row in
            let key: String = row["conversation"]
            let name: String = row["peer_name"]
            guard let conversation = ConversationID(storageKey: key), case .direct = conversation.kind else {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "unreadable direct conversation \(key)")
            }
            return DirectConversation(
                conversation: conversation, peer: AccountID(row["peer_id"]), peerName: UserName(storedDisplay: name, key: name.lowercased()))
        }
    }

    /// Rooms from the account's memberships, direct conversations from the table above,
    /// events from both: all in the caller's one read transaction.
    static func events(after: EventID, forAccount account: AccountID, limit: Int, in db: Database) throws -> AccountEventPage {
        let rooms = try String.fetchAll(
            db.cachedStatement(sql: "SELECT room_key FROM room_member WHERE user_id = ?"), arguments: [account.rawValue])
        let directs = try conversations(of: account, in: db)
        let page = try ConversationSQL.events(
            after: after, before: nil, in: rooms + directs.map(\.conversation.storageKey), limit: limit, in: db)
        return AccountEventPage(events: page.events, more: page.more, directConversations: directs)
    }
}
