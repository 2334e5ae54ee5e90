/// Which stored events this client has shown, by the ids the server stamps them
/// with (one increasing sequence for everything the account sees), and from which
/// id the next catch-up starts.
///
/// The same event can arrive twice: live and in a catch-up page (they overlap while
/// the catch-up runs), or as an offline DM after login and again in the catch-up.
/// ``record(_:)`` says whether an id is new; a repeat is not shown again. Ids up to
/// ``floor`` are known to be shown (an earlier run, or a completed page); above it,
/// the ids shown are remembered one by one, so a live line that arrives after a
/// newer one of another conversation is still shown.
///
/// ``lastSeen`` is what is saved: the next catch-up starts after it. While a
/// catch-up runs it moves only with completed pages, whatever arrives live
/// meanwhile with higher ids: an event between the page and the live one has not
/// arrived yet, and a crash then must not skip it. Once the catch-up is complete,
/// the newest id shown is the next start.
struct SeenEvents: Equatable, Sendable {
    /// Where the next catch-up starts; nil before the first event on this device.
    private(set) var lastSeen: Int64?
    /// Every event with an id up to this one has been shown.
    private(set) var floor: Int64
    /// Ids above ``floor`` already shown.
    private var shownAbove: Set<Int64> = []
    /// A catch-up is under way: ``lastSeen`` moves only with its pages.
    private(set) var catchingUp = false
    /// A catch-up failed on this connection: ``lastSeen`` stays where it was, so the
    /// next one (after a restart or reconnect) fetches what this one could not.
    private var stuck = false

    /// More ids than this above ``floor`` and the smallest are folded into it: a
    /// bound, at the cost of refusing a line that arrives that far out of order.
    static let shownAboveLimit = 10_000

    init(lastSeen: Int64?) {
        self.lastSeen = lastSeen
        self.floor = lastSeen ?? 0
    }

    func contains(_ id: Int64) -> Bool {
        id <= floor || shownAbove.contains(id)
    }

    /// Notes that the event `id` is shown now; false if it was shown before.
    mutating func record(_ id: Int64) -> Bool {
        guard !contains(id) else { return false }
        shownAbove.insert(id)
        if shownAbove.count > Self.shownAboveLimit, let smallest = shownAbove.min() {
            raiseFloor(to: smallest)
        }
        if !catchingUp && !stuck { lastSeen = max(lastSeen ?? id, id) }
        return true
    }

    mutating func catchUpStarted() {
        catchingUp = true
        stuck = false
    }

    /// A page ended with `id`: everything up to it has arrived.
    mutating func pageCompleted(through id: Int64) {
        raiseFloor(to: id)
        lastSeen = max(lastSeen ?? id, id)
    }

    /// The last page arrived (ending with `id`, if it held any): the newest event
    /// shown so far is where a later catch-up starts.
    mutating func catchUpFinished(through id: Int64?) {
        if let id { pageCompleted(through: id) }
        catchingUp = false
        if let newest = shownAbove.max() { lastSeen = max(lastSeen ?? newest, newest) }
    }

    /// The catch-up was refused or cut off.
    mutating func catchUpFailed() {
        catchingUp = false
        stuck = true
    }

    private mutating func raiseFloor(to id: Int64) {
        guard id > floor else { return }
        floor = id
        shownAbove = shownAbove.filter { $0 > id }
    }
}
