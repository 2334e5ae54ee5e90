import ChatModel
import ChatProtocol
import ChatStore

/// How stored events read for one account in `/chathistory` and `/catchup`: the
/// lines a live event of each kind is (`MSG`, `DM`, `EDM`), except that what the
/// account itself sent to someone reads `DMSENT`/`EDMSENT <recipient>`, since
/// `DM <sender>` would name the account itself and lose who it wrote to.
struct StoredEventLines {
    let viewer: AccountID
    /// Rooms by key, spelled as the hub spells them for live lines.
    let rooms: [String: RoomName]
    /// The other side of each of the viewer's direct conversations.
    let peers: [ConversationID: UserName]

    init(viewer: AccountID, rooms: [RoomName], peers: [ConversationID: UserName]) {
        self.viewer = viewer
        self.rooms = Dictionary(rooms.map { ($0.key, $0) }) { first, _ in first }
        self.peers = peers
    }

    /// The event's line and stamp.
    func line(for event: StoredEvent) -> (ServerEvent, EventStamp) {
        let body = String(decoding: event.body, as: UTF8.self)
        let line: ServerEvent
        switch event.conversation.kind {
        case .room(let room):
            line = .message(room: (rooms[room.key] ?? room).display, sender: event.senderName.display, text: body)
        case .direct(let low, let high) where event.sender == viewer:
            // The name the store keeps for the peer; the id only if that is missing,
            // which one snapshot of the store rules out.
            let peer = low == viewer ? high : low
            let recipient = peers[event.conversation]?.display ?? "#\(peer.rawValue)"
            line =
                event.kind == .sealedDirectMessage
                ? .encryptedDirectSent(recipient: recipient, payload: body) : .directSent(recipient: recipient, text: body)
        case .direct:
            line =
                event.kind == .sealedDirectMessage
                ? .encryptedDirect(sender: event.senderName.display, payload: body) : .direct(sender: event.senderName.display, text: body)
        }
        return (line, Conversations.stamp(of: event))
    }
}
