import ChatModel

/// Rooms as things with an owner: who created them, whether they are private
/// (invite-only), their topic, who is invited. It refines `ConversationStore` because
/// `join` and `leave` there obey these rules, so one implementation must keep both.
/// What every implementation must keep (`ConversationStoreConformance` checks it):
///
/// - **Creation and ownership**: the `join` of a room that does not exist creates it,
///   public, owned by the joiner (`.created`). Ownership belongs to the account, not to
///   its membership: an owner that leaves still owns the room, and may join it again
///   whatever its state.
/// - **Lifetime**: a public room exists while it has members; the `leave` (or account
///   deletion) that takes its last member removes it, with its invitations and topic,
///   and the next `join` creates it anew for a new owner. A private room stays, even
///   with no members, until its owner deletes it. Either way its events go with it:
///   whoever creates a room of that name later must not read what was said in the
///   old one (a private one above all), and nobody else could read them any more.
/// - **Private rooms**: `join` of a private room by an account that neither owns it,
///   nor is a member, nor is invited returns `.notInvited` and changes nothing. The
///   checks, the creation and the owner assignment of one `join` are one transaction,
///   so two concurrent joins of a missing room make one owner, and a join cannot slip
///   past a concurrent `setPrivate` or `kick` (PostgreSQL must lock the room row).
/// - **Invitations** are not used up by joining: an invited account that leaves may
///   join again. `kick` removes the membership and the invitation together, so a kicked
///   account needs a new invitation for a private room. Invitations outlive a public
///   period of the room (they count again if it turns private).
/// - **Owner commands** (`invite`, `kick`, `setPrivate`, `setTopic`, `deleteRoom`)
///   succeed only for the owner; anyone else gets `.notOwner` and nothing changes.
/// - **The lobby**: a new account is a member of `RoomName.lobby` from the transaction
///   that creates it (`AccountStore.addAccount`), whatever the lobby's state: an
///   administrator's account creation needs no invitation.
/// - **Deleting an account** removes its memberships and invitations. Each room it
///   owned passes to its longest-standing remaining member (earliest join, then
///   lowest id); one with no other member is deleted, private or not, since nobody
///   could ever delete it. A public room whose last member it was goes too.
public protocol RoomStore: ConversationStore {
    /// The room with `room`'s key, or nil when none exists.
    func roomInfo(_ room: RoomName) async throws -> RoomInfo?

    /// The rooms `account` may see, ordered by key, the first `limit` after `after`
    /// (from the start when nil): every public room, and the private rooms it owns,
    /// belongs to or is invited to. `more` when others follow. `limit` is clamped to
    /// 1...`maxPageSize`.
    func rooms(visibleTo account: AccountID, after: RoomName?, limit: Int) async throws -> RoomPage

    /// How many rooms exist besides `RoomName.lobby`: what a server's cap on rooms
    /// counts.
    func roomCount() async throws -> Int

    /// Every room with its members, ordered by key: what a server loads once at start
    /// to mirror membership in memory. One snapshot.
    func allMemberships() async throws -> [RoomMembers]

    /// Makes `room` private (true) or public (false); members stay. A room made public
    /// with no members is removed, as any public room without members.
    func setPrivate(_ room: RoomName, _ isPrivate: Bool, by owner: AccountID) async throws -> OwnerActionResult

    /// Lets `account` join the private `room` (see the invitation rules above). Inviting
    /// a member or the owner is allowed and changes nothing they notice.
    func invite(_ account: AccountID, to room: RoomName, by owner: AccountID) async throws -> OwnerActionResult

    /// Removes `account`'s membership of `room` and its invitation, in one transaction.
    /// A public room left without members is removed.
    func kick(_ account: AccountID, from room: RoomName, by owner: AccountID) async throws -> OwnerActionResult

    /// Sets the topic, or clears it with nil. The store keeps the text as given: the
    /// caller bounds and validates it.
    func setTopic(_ room: RoomName, _ topic: String?, by owner: AccountID) async throws -> OwnerActionResult

    /// Removes `room` with its memberships, invitations, topic and events.
    func deleteRoom(_ room: RoomName, by owner: AccountID) async throws -> OwnerActionResult
}

extension RoomStore {
    /// Makes `room` private (invite-only).
    public func setPrivate(_ room: RoomName, by owner: AccountID) async throws -> OwnerActionResult {
        try await setPrivate(room, true, by: owner)
    }
}
