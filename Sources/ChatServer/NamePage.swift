import ChatModel
import ChatProtocol
import ChatStore

/// A name that can be listed in a `ROOMS` or `USERS` line: shown as `display`,
/// ordered and told apart by `key`.
protocol ListedName {
    var display: String { get }
    var key: String { get }
}

extension RoomName: ListedName {}
extension UserName: ListedName {}

/// One line of a listing (`ROOMS`, `USERS`): the first names, in key order, of those
/// that sort after a cursor, and whether more follow.
///
/// Keys order the listing because they are unique and never change, so a client that
/// pages with the last name it got sees every name that exists throughout exactly
/// once, even while others come and go. A page needs only the first `limit + 1`
/// names, not a sorted copy of all: one pass keeps the smallest so far, so a page of
/// a 10,000-room listing is a pass over 10,000 names and a few hundred insertions
/// into a 101-name array.
struct NamePage: Equatable {
    let names: [String]
    let hasMore: Bool

    /// Each key counts once however often it occurs (a user with two sessions in a
    /// room); `limit` is at least 1 so that a listing always moves on.
    init<Name: ListedName>(_ candidates: some Sequence<Name>, after cursor: String?, limit: Int) {
        let limit = max(1, limit)
        var smallest: [Name] = []
        smallest.reserveCapacity(limit + 1)
        for candidate in candidates {
            let key = candidate.key
            if let cursor, key <= cursor { continue }
            if smallest.count > limit, key >= smallest[limit].key { continue }
            let index = Self.firstIndex(in: smallest, notBelow: key)
            if index < smallest.count, smallest[index].key == key { continue }
            smallest.insert(candidate, at: index)
            if smallest.count > limit + 1 { smallest.removeLast() }
        }
        self.hasMore = smallest.count > limit
        self.names = smallest.prefix(limit).map(\.display)
    }

    /// Binary search in `names`, which is sorted by key.
    private static func firstIndex<Name: ListedName>(in names: [Name], notBelow key: String) -> Int {
        var low = 0
        var high = names.count
        while low < high {
            let middle = (low + high) / 2
            if names[middle].key < key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return low
    }
}
