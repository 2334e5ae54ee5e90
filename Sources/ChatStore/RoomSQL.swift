import ChatModel
import Foundation
internal import GRDB

/// The SQL behind `SQLiteStore`'s membership and `RoomStore` calls, each inside a
/// transaction its caller opened. Tables are made by the "v5-rooms" migration; room
/// rows hold memberships and invitations by foreign key, so removing a room removes
/// them (ON DELETE CASCADE).
enum RoomSQL {
    static func join(_ account: AccountID, room: RoomName, at date: Date, in db: Database) throws -> MembershipChange {
        guard try accountExists(account, in: db) else { return .noSuchAccount }
        let state = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT owner_id, private,
                        EXISTS (SELECT 1 FROM room_member WHERE room_key = r.key AND user_id = ?) AS member,
                        EXISTS (SELECT 1 FROM room_invitation WHERE room_key = r.key AND user_id = ?) AS invited
                    FROM room r WHERE key = ?
                    """
            ),
            arguments: [account.rawValue, account.rawValue, room.key]
        )
        guard let state else {
            try admit(account, to: room, at: date, in: db)
            return .created
        }
        if state["member"] as Bool { return .alreadyMember }
        let owner = AccountID(state["owner_id"])
        if state["private"] as Bool, owner != account, !(state["invited"] as Bool) { return .notInvited }
        try admit(account, to: room, at: date, in: db)
        return .joined
    }

    /// Makes `account` a member of `room`, creating the room owned by `account` when it
    /// is missing, with no checks: for `join` once it checked, and for a new account's
    /// lobby, which an administrator's creation enters whatever its state.
    static func admit(_ account: AccountID, to room: RoomName, at date: Date, in db: Database) throws {
        let milliseconds = ConversationSQL.milliseconds(date)
        try db.execute(
            sql: "INSERT OR IGNORE INTO room (key, name, owner_id, private, created_at) VALUES (?, ?, ?, 0, ?)",
            arguments: [room.key, room.display, account.rawValue, milliseconds]
        )
        try db.execute(
            sql: "INSERT OR IGNORE INTO room_member (user_id, room_key, room_name, joined_at) VALUES (?, ?, ?, ?)",
            arguments: [account.rawValue, room.key, room.display, milliseconds]
        )
    }

    static func leave(_ account: AccountID, room: RoomName, in db: Database) throws -> Bool {
        try db.execute(sql: "DELETE FROM room_member WHERE user_id = ? AND room_key = ?", arguments: [account.rawValue, room.key])
        guard db.changesCount > 0 else { return false }
        try removeIfAbandoned(room, in: db)
        return true
    }

    /// Every login reads this: prepared once per connection. Named as the room's
    /// creator spelled it (not as this member typed it), so that a server filling its
    /// hub from these names every room one way, whoever logs in first.
    static func rooms(of account: AccountID, in db: Database) throws -> [RoomName] {
        let statement = try db.cachedStatement(
            sql: "SELECT room.name FROM room_member JOIN room ON room.key = room_member.room_key WHERE user_id = ? ORDER BY room_key")
        return try String.fetchAll(statement, arguments: [account.rawValue]).compactMap(RoomName.init)
    }

    static func members(of room: RoomName, in db: Database) throws -> [AccountID] {
        try Int64.fetchAll(db, sql: "SELECT user_id FROM room_member WHERE room_key = ? ORDER BY user_id", arguments: [room.key])
            .map(AccountID.init)
    }

    // MARK: reading rooms

    private static let infoColumns = """
        r.name, r.owner_id, r.private, r.topic, (SELECT COUNT(*) FROM room_member m WHERE m.room_key = r.key) AS member_count
        """

    static func info(_ room: RoomName, in db: Database) throws -> RoomInfo? {
        try Row.fetchOne(db, sql: "SELECT \(infoColumns) FROM room r WHERE r.key = ?", arguments: [room.key]).map(info)
    }

    static func rooms(visibleTo account: AccountID, after: RoomName?, limit: Int, in db: Database) throws -> RoomPage {
        let limit = min(max(limit, 1), maxPageSize)
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT \(infoColumns) FROM room r
                    WHERE r.key > ? AND (r.private = 0 OR r.owner_id = ?
                        OR EXISTS (SELECT 1 FROM room_member WHERE room_key = r.key AND user_id = ?)
                        OR EXISTS (SELECT 1 FROM room_invitation WHERE room_key = r.key AND user_id = ?))
                    ORDER BY r.key LIMIT ?
                    """
            ),
            // Every key starts with "#", so "" sorts before them all.
            arguments: [after?.key ?? "", account.rawValue, account.rawValue, account.rawValue, limit + 1]
        )
        return RoomPage(rooms: try rows.prefix(limit).map(info), more: rows.count > limit)
    }

    static func allMemberships(in db: Database) throws -> [RoomMembers] {
        let rows = try Row.fetchAll(
            db,
            sql: "SELECT r.name, m.user_id FROM room r LEFT JOIN room_member m ON m.room_key = r.key ORDER BY r.key, m.user_id"
        )
        var result: [RoomMembers] = []
        var room: RoomName?
        var members: [AccountID] = []
        for row in rows {
            let name = try roomName(row["name"])
            if let open = room, open.key != name.key {
                result.append(RoomMembers(room: open, members: members))
                members = []
            }
            room = name
            if let member = row["user_id"] as Int64? { members.append(AccountID(member)) }
        }
        if let room { result.append(RoomMembers(room: room, members: members)) }
        return result
    }

    // MARK: owner commands

    static func setPrivate(_ room: RoomName, _ isPrivate: Bool, by owner: AccountID, in db: Database) throws -> OwnerActionResult {
        if let refusal = try refusal(room, by: owner, in: db) { return refusal }
        try db.execute(sql: "UPDATE room SET private = ? WHERE key = ?", arguments: [isPrivate, room.key])
        try removeIfAbandoned(room, in: db)
        return .done
    }

    static func invite(_ account: AccountID, to room: RoomName, by owner: AccountID, at date: Date, in db: Database) throws
        -> OwnerActionResult
    {
        if let refusal = try refusal(room, by: owner, in: db) { return refusal }
        guard try accountExists(account, in: db) else { return .noSuchAccount }
        try db.execute(
            sql: "INSERT OR IGNORE INTO room_invitation (room_key, user_id, invited_at) VALUES (?, ?, ?)",
            arguments: [room.key, account.rawValue, ConversationSQL.milliseconds(date)]
        )
        return .done
    }

    static func kick(_ account: AccountID, from room: RoomName, by owner: AccountID, in db: Database) throws -> OwnerActionResult {
        if let refusal = try refusal(room, by: owner, in: db) { return refusal }
        guard account != owner else { return .cannotKickOwner }
        try db.execute(sql: "DELETE FROM room_member WHERE user_id = ? AND room_key = ?", arguments: [account.rawValue, room.key])
        var removed = db.changesCount
        try db.execute(sql: "DELETE FROM room_invitation WHERE user_id = ? AND room_key = ?", arguments: [account.rawValue, room.key])
        removed += db.changesCount
        guard removed > 0 else { return .notMember }
        try removeIfAbandoned(room, in: db)
        return .done
    }

    static func setTopic(_ room: RoomName, _ topic: String?, by owner: AccountID, in db: Database) throws -> OwnerActionResult {
        if let refusal = try refusal(room, by: owner, in: db) { return refusal }
        try db.execute(sql: "UPDATE room SET topic = ? WHERE key = ?", arguments: [topic, room.key])
        return .done
    }

    static func delete(_ room: RoomName, by owner: AccountID, in db: Database) throws -> OwnerActionResult {
        if let refusal = try refusal(room, by: owner, in: db) { return refusal }
        try db.execute(sql: "DELETE FROM room WHERE key = ?", arguments: [room.key])
        return .done
    }

    // MARK: helpers

    /// Why `owner` may not command `room`, or nil when it may.
    private static func refusal(_ room: RoomName, by owner: AccountID, in db: Database) throws -> OwnerActionResult? {
        guard let current = try Int64.fetchOne(db, sql: "SELECT owner_id FROM room WHERE key = ?", arguments: [room.key]) else {
            return .noSuchRoom
        }
        return current == owner.rawValue ? nil : .notOwner
    }

    /// A public room exists only while it has members.
    private static func removeIfAbandoned(_ room: RoomName, in db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM room WHERE key = ? AND private = 0
                    AND NOT EXISTS (SELECT 1 FROM room_member WHERE room_key = room.key)
                """,
            arguments: [room.key]
        )
    }

    private static func accountExists(_ account: AccountID, in db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE id = ?)", arguments: [account.rawValue]) == true
    }

    private static func info(_ row: Row) throws -> RoomInfo {
        RoomInfo(
            name: try roomName(row["name"]),
            owner: AccountID(row["owner_id"]),
            isPrivate: row["private"],
            topic: row["topic"],
            memberCount: row["member_count"]
        )
    }

    private static func roomName(_ stored: String) throws -> RoomName {
        guard let name = RoomName(stored) else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "unreadable room name \(stored)")
        }
        return name
    }
}
