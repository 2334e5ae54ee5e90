internal import GRDB

extension UserStore {
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
        return migrator
    }
}
