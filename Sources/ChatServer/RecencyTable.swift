/// A map of fixed capacity that keeps its entries in the order they were last
/// touched. A new key in a full table takes the place of the least recently touched
/// entry, so staying bounded never means forgetting everything at once.
///
/// The order is a doubly linked list threaded through one dense array by index, so
/// every operation is O(1) and an entry costs no allocation of its own.
struct RecencyTable<Key: Hashable, Value> {
    fileprivate struct Slot {
        let key: Key
        var value: Value
        var older: Int
        var newer: Int
    }

    private static var none: Int { -1 }

    let capacity: Int
    private var slots: [Slot] = []
    private var slotIndex: [Key: Int] = [:]
    private var oldest = Self.none
    private var newest = Self.none

    init(capacity: Int) {
        precondition(capacity > 0, "a table must hold at least one entry")
        self.capacity = capacity
    }

    var count: Int { slots.count }

    subscript(key: Key) -> Value? {
        slotIndex[key].map { slots[$0].value }
    }

    /// The entry that goes first when room is needed.
    var leastRecent: (key: Key, value: Value)? {
        oldest == Self.none ? nil : (slots[oldest].key, slots[oldest].value)
    }

    /// Stores `value` under `key` as the most recently touched entry.
    mutating func touch(_ key: Key, setting value: Value) {
        if let index = slotIndex[key] {
            slots[index].value = value
            unlink(index)
            linkAsNewest(index)
            return
        }
        if slots.count >= capacity { removeLeastRecent() }
        slots.append(Slot(key: key, value: value, older: Self.none, newer: Self.none))
        slotIndex[key] = slots.count - 1
        linkAsNewest(slots.count - 1)
    }

    /// Changes the value under `key`, if present, leaving its place in the order: a
    /// change that is not a touch must not save an entry from eviction.
    mutating func replace(_ key: Key, with value: Value) {
        guard let index = slotIndex[key] else { return }
        slots[index].value = value
    }

    mutating func remove(_ key: Key) {
        guard let index = slotIndex.removeValue(forKey: key) else { return }
        unlink(index)
        let last = slots.count - 1
        if index != last {
            // Fill the hole with the last slot so the array stays dense.
            let moved = slots[last]
            slots[index] = moved
            slotIndex[moved.key] = index
            if moved.older == Self.none { oldest = index } else { slots[moved.older].newer = index }
            if moved.newer == Self.none { newest = index } else { slots[moved.newer].older = index }
        }
        slots.removeLast()
    }

    mutating func removeLeastRecent() {
        guard oldest != Self.none else { return }
        remove(slots[oldest].key)
    }

    private mutating func unlink(_ index: Int) {
        let (older, newer) = (slots[index].older, slots[index].newer)
        if older == Self.none { oldest = newer } else { slots[older].newer = newer }
        if newer == Self.none { newest = older } else { slots[newer].older = older }
        slots[index].older = Self.none
        slots[index].newer = Self.none
    }

    private mutating func linkAsNewest(_ index: Int) {
        slots[index].older = newest
        if newest == Self.none { oldest = index } else { slots[newest].newer = index }
        newest = index
    }
}

extension RecencyTable: Sendable where Key: Sendable, Value: Sendable {}
extension RecencyTable.Slot: Sendable where Key: Sendable, Value: Sendable {}
