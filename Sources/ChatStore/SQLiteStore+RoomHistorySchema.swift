internal import GRDB

extension SQLiteStore {
    /// A room's messages go with the room: when its row is deleted (its owner dropped
    /// it, or a public room lost its last member, or its last possible owner was
    /// deleted), so are its events. Otherwise whoever next creates a room of that
    /// name would read, through `/history` and catch-up, what was said in the old one,
    /// a private one included. A room that no longer exists has nobody who could read
    /// its history anyway.
    static func migrateToRoomHistoryWithTheRoom(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TRIGGER room_history_goes_with_room AFTER DELETE ON room
                    BEGIN DELETE FROM event WHERE conversation = OLD.key; END;
                DELETE FROM event WHERE conversation LIKE '#%' AND conversation NOT IN (SELECT key FROM room);
                """)
    }
}
