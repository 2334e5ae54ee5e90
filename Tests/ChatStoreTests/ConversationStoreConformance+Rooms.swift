import ChatModel
import ChatStore
import Foundation
import XCTest

/// Owners, private rooms, invitations, topics, listing and the lobby (`RoomStore`).
extension ConversationStoreConformance {
    var roomChecks: [(String, (any Store) async throws -> Void)] {
        [
            ("room creation", joiningAMissingRoomCreatesItForTheJoiner),
            ("lobby", newAccountsStartInTheLobby),
            ("public lifetime", publicRoomGoesWithItsLastMember),
            ("private lifetime", privateRoomStaysUntilItsOwnerDeletesIt),
            ("invitations", privateRoomAdmitsOnlyTheInvited),
            ("kick", kickRemovesMembershipAndInvitation),
            ("topic and privacy", onlyTheOwnerSetsTopicAndPrivacy),
            ("visible rooms", listingShowsPublicRoomsAndOnesOwnPrivateRooms),
            ("all memberships", allMembershipsListsEveryRoom),
            ("concurrent joins", concurrentJoinsOfAMissingRoomMakeOneOwner),
            ("owner deletion", deletingAnAccountHandsItsRoomsOnOrRemovesThem),
            ("history goes with the room", aRoomsHistoryGoesWithTheRoom),
            ("a room keeps its creator's spelling", membersSeeTheRoomAsItsCreatorSpelledIt),
        ]
    }

    func info(_ store: any Store, _ name: String, file: StaticString = #filePath, line: UInt = #line) async throws -> RoomInfo {
        let info = try await store.roomInfo(room(name))
        return try XCTUnwrap(info, "no room \(name)", file: file, line: line)
    }

    /// `owner` creates `name` (the first join) and makes it private.
    func privateRoom(_ store: any Store, _ name: String, owner: AccountID, file: StaticString = #filePath, line: UInt = #line) async throws {
        let created = try await store.join(owner, room: room(name))
        XCTAssertEqual(created, .created, file: file, line: line)
        let made = try await store.setPrivate(room(name), by: owner)
        XCTAssertEqual(made, .done, file: file, line: line)
    }

    /// A room that is gone (dropped, or public and emptied) takes its messages with
    /// it: whoever creates a room of that name later must not read what was said in
    /// the old one, private or not.
    func aRoomsHistoryGoesWithTheRoom(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let mallory = try await account(store, "mallory")
        try await privateRoom(store, "#secret", owner: alice)
        _ = try await store.append([message("the plan", in: .room(room("#secret")), from: alice)])
        let dropped = try await store.deleteRoom(room("#secret"), by: alice)
        XCTAssertEqual(dropped, .done)
        _ = try await store.join(mallory, room: room("#secret"))
        let afterDrop = try await store.history(of: .room(room("#secret")), before: nil, limit: 10)
        XCTAssertEqual(afterDrop.events, [], "a new #secret shows nothing of the dropped one")

        _ = try await store.join(alice, room: room("#open"))
        _ = try await store.append([message("said in public", in: .room(room("#open")), from: alice)])
        try await store.leave(alice, room: room("#open"))
        _ = try await store.join(mallory, room: room("#open"))
        let afterEmpty = try await store.history(of: .room(room("#open")), before: nil, limit: 10)
        XCTAssertEqual(afterEmpty.events, [], "a room that emptied is a new room when created again")
    }

    /// Whoever joins `#dev` joins `#Dev` if that is how its creator spelled it, and
    /// the account's rooms say so: a server restored from them names the room one way
    /// for everyone, whichever member logs in first.
    func membersSeeTheRoomAsItsCreatorSpelledIt(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        _ = try await store.join(alice, room: room("#Dev"))
        _ = try await store.join(bob, room: room("#dev"))
        let bobsRooms = try await store.rooms(of: bob)
        XCTAssertEqual(bobsRooms.map(\.display), ["#Dev", "#lobby"])
    }

    func joiningAMissingRoomCreatesItForTheJoiner(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let missing = try await store.roomInfo(room("#rust"))
        XCTAssertNil(missing)
        let created = try await store.join(alice, room: room("#Rust"))
        XCTAssertEqual(created, .created)
        let made = try await info(store, "#RUST")
        XCTAssertEqual(made, RoomInfo(name: room("#Rust"), owner: alice, isPrivate: false, topic: nil, memberCount: 1))
        XCTAssertEqual(made.name.display, "#Rust", "the creator's spelling")
        let joined = try await store.join(bob, room: room("#rust"))
        XCTAssertEqual(joined, .joined)
        let after = try await info(store, "#rust")
        XCTAssertEqual(after.owner, alice)
        XCTAssertEqual(after.name.display, "#Rust")
        XCTAssertEqual(after.memberCount, 2)
        let ghost = try await store.join(AccountID(999), room: room("#ghost"))
        XCTAssertEqual(ghost, .noSuchAccount)
        let none = try await store.roomInfo(room("#ghost"))
        XCTAssertNil(none, "a refused join creates nothing")
    }

    func newAccountsStartInTheLobby(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let rooms = try await store.rooms(of: bob)
        XCTAssertEqual(rooms.map(\.display), ["#lobby"])
        let lobby = try await info(store, "#lobby")
        XCTAssertEqual(lobby, RoomInfo(name: .lobby, owner: alice, isPrivate: false, topic: nil, memberCount: 2), "the first account made it")
        let made = try await store.setPrivate(.lobby, by: alice)
        XCTAssertEqual(made, .done)
        let carol = try await account(store, "carol")
        let carolRooms = try await store.rooms(of: carol)
        XCTAssertEqual(carolRooms, [.lobby], "an administrator's creation needs no invitation")
    }

    func publicRoomGoesWithItsLastMember(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        try await store.join(alice, room: room("#Rust"))
        try await store.join(bob, room: room("#rust"))
        let topic = try await store.setTopic(room("#rust"), "borrowing", by: alice)
        XCTAssertEqual(topic, .done)
        let ids = try await store.append([message("kept", in: .room(room("#rust")), from: alice)])

        try await store.leave(alice, room: room("#rust"))
        let ownerLeft = try await info(store, "#rust")
        XCTAssertEqual(ownerLeft.owner, alice, "ownership outlives the owner's membership")
        XCTAssertEqual(ownerLeft.memberCount, 1)
        let left = try await store.leave(bob, room: room("#rust"))
        XCTAssertTrue(left)
        let gone = try await store.roomInfo(room("#rust"))
        XCTAssertNil(gone, "a public room without members does not exist")
        let history = try await store.history(of: .room(room("#rust")), before: nil, limit: 10)
        XCTAssertEqual(history.events.map(\.id), [], "its history went with it (there were \(ids.count))")

        let again = try await store.join(carol, room: room("#RUST"))
        XCTAssertEqual(again, .created)
        let reborn = try await info(store, "#rust")
        XCTAssertEqual(reborn, RoomInfo(name: room("#RUST"), owner: carol, isPrivate: false, topic: nil, memberCount: 1))
        let refused = try await store.setTopic(room("#rust"), "mine", by: alice)
        XCTAssertEqual(refused, .notOwner, "the old owner's claim went with the room")
    }

    func privateRoomStaysUntilItsOwnerDeletesIt(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        try await privateRoom(store, "#Secret", owner: alice)
        let invited = try await store.invite(bob, to: room("#secret"), by: alice)
        XCTAssertEqual(invited, .done)
        try await store.join(bob, room: room("#secret"))
        try await store.leave(bob, room: room("#secret"))
        try await store.leave(alice, room: room("#secret"))
        let empty = try await info(store, "#secret")
        XCTAssertEqual(empty, RoomInfo(name: room("#Secret"), owner: alice, isPrivate: true, topic: nil, memberCount: 0))

        let back = try await store.join(alice, room: room("#secret"))
        XCTAssertEqual(back, .joined, "the owner needs no invitation")
        try await store.join(bob, room: room("#secret"))
        let notOwner = try await store.deleteRoom(room("#secret"), by: bob)
        XCTAssertEqual(notOwner, .notOwner)
        let still = try await info(store, "#secret")
        XCTAssertEqual(still.memberCount, 2)

        let deleted = try await store.deleteRoom(room("#SECRET"), by: alice)
        XCTAssertEqual(deleted, .done)
        let gone = try await store.roomInfo(room("#secret"))
        XCTAssertNil(gone)
        let bobRooms = try await store.rooms(of: bob)
        XCTAssertEqual(bobRooms, [.lobby], "memberships go with the room")
        let members = try await store.members(of: room("#secret"))
        XCTAssertEqual(members, [])
        let twice = try await store.deleteRoom(room("#secret"), by: alice)
        XCTAssertEqual(twice, .noSuchRoom)
        try await privateRoom(store, "#secret", owner: alice)
        let uninvited = try await store.join(bob, room: room("#secret"))
        XCTAssertEqual(uninvited, .notInvited, "invitations go with the room")
        let fresh = try await info(store, "#secret")
        XCTAssertEqual(fresh.memberCount, 1)
    }

    func privateRoomAdmitsOnlyTheInvited(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        try await store.join(alice, room: room("#secret"))
        try await store.join(bob, room: room("#secret"))
        let made = try await store.setPrivate(room("#secret"), by: alice)
        XCTAssertEqual(made, .done)
        let members = try await store.members(of: room("#secret"))
        XCTAssertEqual(Set(members), [alice, bob], "members stay")
        let member = try await store.join(bob, room: room("#secret"))
        XCTAssertEqual(member, .alreadyMember)

        let refused = try await store.join(carol, room: room("#secret"))
        XCTAssertEqual(refused, .notInvited)
        let unchanged = try await store.members(of: room("#secret"))
        XCTAssertEqual(Set(unchanged), [alice, bob])
        let carolRooms = try await store.rooms(of: carol)
        XCTAssertEqual(carolRooms, [.lobby])

        let byMember = try await store.invite(carol, to: room("#secret"), by: bob)
        XCTAssertEqual(byMember, .notOwner)
        let stillRefused = try await store.join(carol, room: room("#secret"))
        XCTAssertEqual(stillRefused, .notInvited)
        let ghost = try await store.invite(AccountID(999), to: room("#secret"), by: alice)
        XCTAssertEqual(ghost, .noSuchAccount)
        let nowhere = try await store.invite(carol, to: room("#nowhere"), by: alice)
        XCTAssertEqual(nowhere, .noSuchRoom)
        let invited = try await store.invite(carol, to: room("#Secret"), by: alice)
        XCTAssertEqual(invited, .done)
        let joined = try await store.join(carol, room: room("#secret"))
        XCTAssertEqual(joined, .joined)
        try await store.leave(carol, room: room("#secret"))
        let rejoined = try await store.join(carol, room: room("#secret"))
        XCTAssertEqual(rejoined, .joined, "joining does not use the invitation up")
    }

    func kickRemovesMembershipAndInvitation(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        let dave = try await account(store, "dave")
        try await privateRoom(store, "#secret", owner: alice)
        for guest in [bob, carol, dave] {
            let invited = try await store.invite(guest, to: room("#secret"), by: alice)
            XCTAssertEqual(invited, .done)
        }
        try await store.join(bob, room: room("#secret"))
        try await store.join(carol, room: room("#secret"))

        let byMember = try await store.kick(carol, from: room("#secret"), by: bob)
        XCTAssertEqual(byMember, .notOwner)
        let kicked = try await store.kick(carol, from: room("#secret"), by: alice)
        XCTAssertEqual(kicked, .done)
        let members = try await store.members(of: room("#secret"))
        XCTAssertEqual(Set(members), [alice, bob])
        let back = try await store.join(carol, room: room("#secret"))
        XCTAssertEqual(back, .notInvited, "a kicked account needs a new invitation")
        let twice = try await store.kick(carol, from: room("#secret"), by: alice)
        XCTAssertEqual(twice, .notMember)
        let owner = try await store.kick(alice, from: room("#secret"), by: alice)
        XCTAssertEqual(owner, .cannotKickOwner)
        let uninvited = try await store.kick(dave, from: room("#secret"), by: alice)
        XCTAssertEqual(uninvited, .done, "kicking an invited non-member withdraws the invitation")
        let daveJoin = try await store.join(dave, room: room("#secret"))
        XCTAssertEqual(daveJoin, .notInvited)
        let nowhere = try await store.kick(bob, from: room("#nowhere"), by: alice)
        XCTAssertEqual(nowhere, .noSuchRoom)
        let reinvited = try await store.invite(carol, to: room("#secret"), by: alice)
        XCTAssertEqual(reinvited, .done)
        let carolBack = try await store.join(carol, room: room("#secret"))
        XCTAssertEqual(carolBack, .joined)

        try await store.join(alice, room: room("#pub"))
        try await store.join(bob, room: room("#pub"))
        try await store.leave(alice, room: room("#pub"))
        let lastOut = try await store.kick(bob, from: room("#pub"), by: alice)
        XCTAssertEqual(lastOut, .done)
        let gone = try await store.roomInfo(room("#pub"))
        XCTAssertNil(gone, "kicking the last member of a public room removes it")
    }

    func onlyTheOwnerSetsTopicAndPrivacy(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        try await store.join(alice, room: room("#rust"))
        try await store.join(bob, room: room("#rust"))
        let byMember = try await store.setTopic(room("#rust"), "mine", by: bob)
        XCTAssertEqual(byMember, .notOwner)
        let set = try await store.setTopic(room("#rust"), "Ownership, borrowing: ünïcode too", by: alice)
        XCTAssertEqual(set, .done)
        var rust = try await info(store, "#rust")
        XCTAssertEqual(rust.topic, "Ownership, borrowing: ünïcode too")
        let cleared = try await store.setTopic(room("#rust"), nil, by: alice)
        XCTAssertEqual(cleared, .done)
        rust = try await info(store, "#rust")
        XCTAssertNil(rust.topic)
        let nowhere = try await store.setTopic(room("#nowhere"), "x", by: alice)
        XCTAssertEqual(nowhere, .noSuchRoom)

        let privateByMember = try await store.setPrivate(room("#rust"), by: bob)
        XCTAssertEqual(privateByMember, .notOwner)
        rust = try await info(store, "#rust")
        XCTAssertFalse(rust.isPrivate)
        _ = try await store.setPrivate(room("#rust"), by: alice)
        let refused = try await store.join(carol, room: room("#rust"))
        XCTAssertEqual(refused, .notInvited)
        let publicAgain = try await store.setPrivate(room("#rust"), false, by: alice)
        XCTAssertEqual(publicAgain, .done)
        let joined = try await store.join(carol, room: room("#rust"))
        XCTAssertEqual(joined, .joined)

        try await privateRoom(store, "#empty", owner: alice)
        try await store.leave(alice, room: room("#empty"))
        let opened = try await store.setPrivate(room("#empty"), false, by: alice)
        XCTAssertEqual(opened, .done)
        let gone = try await store.roomInfo(room("#empty"))
        XCTAssertNil(gone, "a public room without members does not exist")
    }

    func listingShowsPublicRoomsAndOnesOwnPrivateRooms(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        try await store.join(alice, room: room("#A"))
        try await store.join(carol, room: room("#a"))
        try await privateRoom(store, "#b", owner: alice)
        try await privateRoom(store, "#c", owner: alice)
        _ = try await store.invite(bob, to: room("#c"), by: alice)
        try await privateRoom(store, "#d", owner: alice)
        _ = try await store.invite(bob, to: room("#d"), by: alice)
        try await store.join(bob, room: room("#d"))
        try await privateRoom(store, "#e", owner: bob)
        try await store.leave(bob, room: room("#e"))

        var seen: [RoomInfo] = []
        var cursor: RoomName?
        var pages = 0
        while true {
            let page = try await store.rooms(visibleTo: bob, after: cursor, limit: 2)
            seen += page.rooms
            pages += 1
            guard page.more, let last = page.rooms.last else { break }
            cursor = last.name
        }
        XCTAssertEqual(seen.map(\.name.display), ["#A", "#c", "#d", "#e", "#lobby"], "public, invited, member, owned; not #b")
        XCTAssertEqual(pages, 3)
        XCTAssertEqual(
            seen.first,
            RoomInfo(name: room("#A"), owner: alice, isPrivate: false, topic: nil, memberCount: 2)
        )
        XCTAssertEqual(seen.map(\.memberCount), [2, 1, 2, 0, 3])

        let carolSees = try await store.rooms(visibleTo: carol, after: nil, limit: 50)
        XCTAssertEqual(carolSees.rooms.map(\.name.display), ["#A", "#lobby"])
        XCTAssertFalse(carolSees.more)
        let aliceSees = try await store.rooms(visibleTo: alice, after: room("#B"), limit: 50)
        XCTAssertEqual(aliceSees.rooms.map(\.name.display), ["#c", "#d", "#lobby"], "after a key, in any case")
        let clamped = try await store.rooms(visibleTo: alice, after: nil, limit: 0)
        XCTAssertEqual(clamped.rooms.map(\.name.display), ["#A"], "limit is clamped to at least one")
        XCTAssertTrue(clamped.more)
    }

    func allMembershipsListsEveryRoom(_ store: any Store) async throws {
        let empty = try await store.allMemberships()
        XCTAssertEqual(empty, [])
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        try await store.join(bob, room: room("#Rust"))
        try await store.join(alice, room: room("#rust"))
        try await privateRoom(store, "#quiet", owner: bob)
        try await store.leave(bob, room: room("#quiet"))
        let all = try await store.allMemberships()
        XCTAssertEqual(
            all,
            [
                RoomMembers(room: .lobby, members: [alice, bob].sorted { $0.rawValue < $1.rawValue }),
                RoomMembers(room: room("#quiet"), members: []),
                RoomMembers(room: room("#Rust"), members: [alice, bob].sorted { $0.rawValue < $1.rawValue }),
            ]
        )
        XCTAssertEqual(all.map(\.room.display), ["#lobby", "#quiet", "#Rust"])
    }

    func concurrentJoinsOfAMissingRoomMakeOneOwner(_ store: any Store) async throws {
        var accounts: [AccountID] = []
        for index in 0..<8 {
            accounts.append(try await account(store, "user\(index)"))
        }
        let rooms = (0..<5).map { room("#race\($0)") }
        for race in rooms {
            let results = try await withThrowingTaskGroup(of: (AccountID, MembershipChange).self) { group in
                for account in accounts {
                    group.addTask { (account, try await store.join(account, room: race)) }
                }
                var all: [(AccountID, MembershipChange)] = []
                for try await result in group { all.append(result) }
                return all
            }
            let creators = results.filter { $0.1 == .created }.map(\.0)
            XCTAssertEqual(creators.count, 1, "\(race): \(results)")
            XCTAssertEqual(results.filter { $0.1 == .joined }.count, accounts.count - 1, "\(race)")
            let made = try await info(store, race.display)
            XCTAssertEqual([made.owner], creators, "\(race)")
            XCTAssertEqual(made.memberCount, accounts.count)
        }
    }

    func deletingAnAccountHandsItsRoomsOnOrRemovesThem(_ store: any Store) async throws {
        let alice = try await account(store, "alice")
        let bob = try await account(store, "bob")
        let carol = try await account(store, "carol")
        let dave = try await account(store, "dave")
        try await store.join(alice, room: room("#rust"))
        try await store.join(carol, room: room("#rust"))
        // Join times are whole milliseconds; bob must join later, not merely win a tie.
        try await Task.sleep(for: .milliseconds(5))
        try await store.join(bob, room: room("#rust"))
        try await privateRoom(store, "#hideout", owner: alice)
        _ = try await store.invite(bob, to: room("#hideout"), by: alice)
        try await store.join(bob, room: room("#hideout"))
        try await privateRoom(store, "#alone", owner: alice)
        try await privateRoom(store, "#left", owner: alice)
        _ = try await store.invite(bob, to: room("#left"), by: alice)
        try await store.leave(alice, room: room("#left"))
        try await store.join(bob, room: room("#pub"))
        try await store.join(alice, room: room("#pub"))
        try await store.leave(bob, room: room("#pub"))
        try await privateRoom(store, "#club", owner: bob)
        _ = try await store.invite(dave, to: room("#club"), by: bob)

        let deleted = try await store.deleteAccount(name("alice"))
        XCTAssertTrue(deleted)
        let rust = try await info(store, "#rust")
        XCTAssertEqual(rust.owner, carol, "the longest-standing member takes over")
        XCTAssertEqual(rust.memberCount, 2)
        let hideout = try await info(store, "#hideout")
        XCTAssertEqual(hideout, RoomInfo(name: room("#hideout"), owner: bob, isPrivate: true, topic: nil, memberCount: 1))
        let alone = try await store.roomInfo(room("#alone"))
        XCTAssertNil(alone, "nobody could ever delete it")
        let left = try await store.roomInfo(room("#left"))
        XCTAssertNil(left, "an invitation is not membership")
        let pub = try await store.roomInfo(room("#pub"))
        XCTAssertNil(pub, "a public room goes with its last member, whoever owns it")
        let lobby = try await info(store, "#lobby")
        XCTAssertEqual(lobby.owner, bob)

        let daveDeleted = try await store.deleteAccount(name("dave"))
        XCTAssertTrue(daveDeleted)
        let daveInvitation = try await store.kick(dave, from: room("#club"), by: bob)
        XCTAssertEqual(daveInvitation, .notMember, "the deleted account's invitation went with it")
        let all = try await store.allMemberships()
        XCTAssertEqual(all.map(\.room.display), ["#club", "#hideout", "#lobby", "#rust"])
        XCTAssertFalse(all.contains { $0.members.contains(alice) || $0.members.contains(dave) })

        let newAlice = try await account(store, "alice")
        let rejoin = try await store.join(newAlice, room: room("#hideout"))
        XCTAssertEqual(rejoin, .notInvited, "a re-created name inherits no invitation")
    }
}
