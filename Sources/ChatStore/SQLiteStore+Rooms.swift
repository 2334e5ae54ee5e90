import ChatModel
import Foundation
internal import GRDB

/// Each call is one transaction: a write's checks see the state it changes, because
/// SQLite has one writer at a time.
extension SQLiteStore: RoomStore {
    public func roomInfo(_ room: RoomName) async throws -> RoomInfo? {
        try await pool.read { db in try RoomSQL.info(room, in: db) }
    }

    public func rooms(visibleTo account: AccountID, after: RoomName?, limit: Int) async throws -> RoomPage {
        try await pool.read { db in try RoomSQL.rooms(visibleTo: account, after: after, limit: limit, in: db) }
    }

    public func roomCount() async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM room WHERE key != ?", arguments: [RoomName.lobby.key]) ?? 0
        }
    }

    public func allMemberships() async throws -> [RoomMembers] {
        try await pool.read { db in try RoomSQL.allMemberships(in: db) }
    }

    public func setPrivate(_ room: RoomName, _ isPrivate: Bool, by owner: AccountID) async throws -> OwnerActionResult {
        try await pool.write { db in try RoomSQL.setPrivate(room, isPrivate, by: owner, in: db) }
    }

    public func invite(_ account: AccountID, to room: RoomName, by owner: AccountID) async throws -> OwnerActionResult {
        let now = Date()
        return try await pool.write { db in try RoomSQL.invite(account, to: room, by: owner, at: now, in: db) }
    }

    public func kick(_ account: AccountID, from room: RoomName, by owner: AccountID) async throws -> OwnerActionResult {
        try await pool.write { db in try RoomSQL.kick(account, from: room, by: owner, in: db) }
    }

    public func setTopic(_ room: RoomName, _ topic: String?, by owner: AccountID) async throws -> OwnerActionResult {
        try await pool.write { db in try RoomSQL.setTopic(room, topic, by: owner, in: db) }
    }

    public func deleteRoom(_ room: RoomName, by owner: AccountID) async throws -> OwnerActionResult {
        try await pool.write { db in try RoomSQL.delete(room, by: owner, in: db) }
    }
}
