internal import GRDB

extension SQLiteStore {
    /// Append-only: a shipped migration is never edited, a change is a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-users") { db in
            try db.create(table: "user") { t in
                t.column("id", .integer).primaryKey()
                t.column("name", .text).notNull()
                // Uniqueness lives in the database, not in a check-then-insert, so
                // chat-useradd and the server cannot race two spellings in.
                t.column("name_key", .text).notNull().unique()
                t.column("password_hash", .text).notNull()
                t.column("locked", .boolean).notNull().defaults(to: false)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.column("last_login_at", .datetime)
            }
        }
        migrator.registerMigration("v2-dm-keys") { db in
            // One X25519 public key per account for end-to-end direct messages. Only
            // public keys: the server never holds a secret key or a plaintext DM.
            try db.create(table: "dm_key") { t in
                t.column("user_id", .integer).primaryKey()
                    .references("user", onDelete: .cascade)
                t.column("public_key", .blob).notNull()
                t.column("updated_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("v3-account-generations", migrate: migrateToAccountGenerations)
        migrator.registerMigration("v4-conversations", migrate: migrateToConversations)
        migrator.registerMigration("v5-rooms", migrate: migrateToRooms)
        migrator.registerMigration("v6-direct-conversations", migrate: migrateToDirectConversations)
        migrator.registerMigration("v7-room-history-goes-with-room", migrate: migrateToRoomHistoryWithTheRoom)
        return migrator
    }

    /// Sessions belong to an account identity plus a credential generation, and the
    /// running server learns of changes made by other processes (chat-useradd) from a
    /// change feed that triggers fill, whoever writes.
    ///
    /// The table is rebuilt because `AUTOINCREMENT` cannot be added in place: without
    /// it SQLite hands a deleted last row's id to the next insert, so a re-created name
    /// would get the old account's identity. GRDB runs migrations with foreign keys
    /// off and checks them before commit, so `dm_key` rows survive the rebuild.
    private static func migrateToAccountGenerations(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE user_v3 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    name_key TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    locked BOOLEAN NOT NULL DEFAULT 0,
                    generation INTEGER NOT NULL DEFAULT 1,
                    created_at DATETIME NOT NULL,
                    updated_at DATETIME NOT NULL,
                    last_login_at DATETIME
                );
                INSERT INTO user_v3 (id, name, name_key, password_hash, locked, created_at, updated_at, last_login_at)
                    SELECT id, name, name_key, password_hash, locked, created_at, updated_at, last_login_at FROM user;
                DROP TABLE user;
                ALTER TABLE user_v3 RENAME TO user;

                CREATE TABLE account_change (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    user_id INTEGER NOT NULL,
                    changed_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
                );
                CREATE INDEX account_change_by_time ON account_change(changed_at);

                CREATE TRIGGER user_credentials_changed AFTER UPDATE OF generation ON user
                    WHEN NEW.generation != OLD.generation
                    BEGIN INSERT INTO account_change (user_id) VALUES (NEW.id); END;
                CREATE TRIGGER user_deleted AFTER DELETE ON user
                    BEGIN INSERT INTO account_change (user_id) VALUES (OLD.id); END;
                """)
    }

    /// The event log, room membership owned by accounts, and the offline queue of
    /// direct messages (see `ConversationStore`).
    ///
    /// - `event.id` is AUTOINCREMENT so an id is never handed out twice, not even after
    ///   pruning removed the newest rows. Events name their sender without a foreign
    ///   key: the log outlives accounts until retention removes it.
    /// - `event_by_conversation (conversation, id)` makes `history` (newest N below an
    ///   id) an index range read backwards, whatever the log's size, and catch-up an
    ///   index range per conversation; `event_by_time` makes age pruning a range delete.
    /// - `sent_at` is milliseconds since 1970 UTC, an integer: exact and compact.
    /// - Membership and the offline queue go with their account (ON DELETE CASCADE),
    ///   and queued messages with their events when retention prunes them.
    private static func migrateToConversations(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    conversation TEXT NOT NULL,
                    kind INTEGER NOT NULL,
                    sender_id INTEGER NOT NULL,
                    sender_name TEXT NOT NULL,
                    body BLOB NOT NULL,
                    sent_at INTEGER NOT NULL
                );
                CREATE INDEX event_by_conversation ON event(conversation, id);
                CREATE INDEX event_by_time ON event(sent_at);

                CREATE TABLE room_member (
                    user_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    room_key TEXT NOT NULL,
                    room_name TEXT NOT NULL,
                    joined_at INTEGER NOT NULL,
                    PRIMARY KEY (user_id, room_key)
                ) WITHOUT ROWID;
                CREATE INDEX room_member_by_room ON room_member(room_key, user_id);

                CREATE TABLE offline_dm (
                    recipient_id INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                    event_id INTEGER NOT NULL REFERENCES event(id) ON DELETE CASCADE,
                    PRIMARY KEY (recipient_id, event_id)
                ) WITHOUT ROWID;
                CREATE INDEX offline_dm_by_event ON offline_dm(event_id);
                """)
    }
}
