/// Which stored events this client has shown, by the ids the server stamps them
/// with (one increasing sequence for everything the account sees), and from which
/// id the next catch-up starts.
///
/// The same event can arrive twice: live and in a catch-up page (they overlap while
/// the catch-up runs), or as an offline DM after login and again in the catch-up.
/// ``record(_:)`` says whether an id is new; a repeat is not shown again.
///
/// ``lastSeen`` is what is saved: every event up to it has been shown. While a
/// catch-up runs it moves only with completed pages, whatever arrives live
/// meanwhile with higher ids: an event between the page and the live one has not
/// arrived yet, and a crash then must not skip it. Once the catch-up is complete,
/// events arrive in id order (the server fans them out in the order it stored
/// them), so each shown id is the new ``lastSeen``.
struct SeenEvents: Equatable, Sendable {
    /// Every event with an id up to this one has been shown, in this run or an
    /// earlier one; nil before the first on this device.
    private(set) var lastSeen: Int64?
    /// Ids above ``lastSeen`` already shown.
    private var shownAbove: Set<Int64> = []
    /// A catch-up is under way: ``lastSeen`` moves only with its pages.
    private(set) var catchingUp = false
    /// A catch-up failed on this connection: ``lastSeen`` stays where it was, so the
    /// next one (after a restart or reconnect) fetches what this one could not.
    private var stuck = false

    /// More ids than this above ``lastSeen`` (only while stuck) and the smallest are
    /// forgotten: a bound, at the cost of perhaps showing one of them twice.
    static let shownAboveLimit = 10_000

    init(lastSeen: Int64?) {
        self.lastSeen = lastSeen
    }

    func contains(_ id: Int64) -> Bool {
        if let lastSeen, id <= lastSeen { return true }
        return shownAbove.contains(id)
    }

    /// Notes that the event `id` is shown now; false if it was shown before.
    mutating func record(_ id: Int64) -> Bool {
        guard !contains(id) else { return false }
        if catchingUp || stuck {
            shownAbove.insert(id)
            if shownAbove.count > Self.shownAboveLimit, let smallest = shownAbove.min() {
                shownAbove.remove(smallest)
            }
        } else {
            advance(to: id)
        }
        return true
    }

    mutating func catchUpStarted() {
        catchingUp = true
        stuck = false
    }

    /// A page ended with `id`: everything up to it has arrived.
    mutating func pageCompleted(through id: Int64) {
        advance(to: id)
    }

    /// The last page arrived (ending with `id`, if it held any): from now on events
    /// arrive in order, and the newest one shown so far is where a later catch-up
    /// starts.
    mutating func catchUpFinished(through id: Int64?) {
        catchingUp = false
        let newest = [id, shownAbove.max()].compactMap { $0 }.max()
        if let newest { advance(to: newest) }
    }

    /// The catch-up was refused or cut off.
    mutating func catchUpFailed() {
        catchingUp = false
        stuck = true
    }

    private mutating func advance(to id: Int64) {
        guard id > lastSeen ?? Int64.min else { return }
        lastSeen = id
        shownAbove = shownAbove.filter { $0 > id }
    }
}
