import ChatModel
import Foundation
internal import GRDB

extension SQLiteStore {
    /// Rooms with owners, privacy and topics, and invitations (see `RoomStore`).
    ///
    /// - Nothing used membership before this version, so every existing account is put
    ///   in the lobby, as a new account is from now on. Then every room with members
    ///   gets a row: the earliest member (then the lowest id) owns it and its spelling
    ///   names it, so an old lobby goes to its oldest member.
    /// - `room_member` is rebuilt to reference `room` (ON DELETE CASCADE), so a member
    ///   of a room that does not exist cannot be stored, and deleting a room takes its
    ///   memberships along. GRDB runs migrations with foreign keys off and checks them
    ///   before commit.
    /// - `room.owner_id` has no ON DELETE action: the `user_leaves_rooms` trigger hands
    ///   each room on (or deletes it) before its owner's row goes, and should it ever
    ///   miss one, the account's deletion fails rather than leave an ownerless room.
    ///   `room_by_owner` keeps both the trigger and that check off a full scan.
    static func migrateToRooms(_ db: Database) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO room_member (user_id, room_key, room_name, joined_at)
                    SELECT id, ?, ?, ? FROM user;

                CREATE TABLE room (
                    key TEXT NOT NULL PRIMARY KEY,
                    name TEXT NOT NULL,
                    owner_id INTEGER NOT NULL REFERENCES user(id),
                    private BOOLEAN NOT NULL DEFAULT 0,
                    topic TEXT,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX room_by_owner ON room(owner_id);
                INSERT INTO room (key, name, owner_id, created_at)
                    SELECT m.room_key, m.room_name, m.user_id, m.joined_at FROM room_member m
                    WHERE NOT EXISTS (
                        SELECT 1 FROM room_member e WHERE e.room_key = m.room_key
                            AND (e.joined_at < m.joined_at OR (e.joined_at = m.joined_at AND e.user_id < m.user_id)));

                CREATE TABLE room_member_v5 (
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    room_key TEXT NOT NULL REFERENCES room(key) ON DELETE CASCADE,
                    room_name TEXT NOT NULL,
                    joined_at INTEGER NOT NULL,
                    PRIMARY KEY (user_id, room_key)
                ) WITHOUT ROWID;
                INSERT INTO room_member_v5 (user_id, room_key, room_name, joined_at)
                    SELECT user_id, room_key, room_name, joined_at FROM room_member;
                DROP TABLE room_member;
                ALTER TABLE room_member_v5 RENAME TO room_member;
                CREATE INDEX room_member_by_room ON room_member(room_key, user_id);

                CREATE TABLE room_invitation (
                    room_key TEXT NOT NULL REFERENCES room(key) ON DELETE CASCADE,
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    invited_at INTEGER NOT NULL,
                    PRIMARY KEY (room_key, user_id)
                ) WITHOUT ROWID;
                CREATE INDEX room_invitation_by_user ON room_invitation(user_id);

                CREATE TRIGGER user_leaves_rooms BEFORE DELETE ON user BEGIN
                    DELETE FROM room
                        WHERE (owner_id = OLD.id
                                OR (private = 0 AND key IN (SELECT room_key FROM room_member WHERE user_id = OLD.id)))
                            AND NOT EXISTS (SELECT 1 FROM room_member WHERE room_key = room.key AND user_id != OLD.id);
                    UPDATE room SET owner_id = (
                            SELECT user_id FROM room_member WHERE room_key = room.key AND user_id != OLD.id
                            ORDER BY joined_at, user_id LIMIT 1)
                        WHERE owner_id = OLD.id;
                END;
                """,
            arguments: [RoomName.lobby.key, RoomName.lobby.display, ConversationSQL.milliseconds(Date())]
        )
    }
}
