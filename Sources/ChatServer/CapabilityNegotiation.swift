import ChatProtocol

/// What `/cap` answers: the capabilities this server offers, and which of them a
/// `/cap req` turns on or off. Pure, so the state machine can decide with it.
enum CapabilityNegotiation {
    /// Everything this version knows is offered.
    static let offered = Capability.allCases

    /// `OK cap ls <cap>...`
    static var listReply: ServerEvent {
        .ok(command: "cap", details: (["ls"] + offered.map(\.rawValue)).joined(separator: " "))
    }

    /// What a `/cap req` asked for: each capability on or off, the last word for it
    /// winning, and the reply; or the error for the first word that names nothing
    /// offered, in which case nothing changes (all or none, as in IRCv3).
    static func request(_ words: [String]) -> Result<(changes: [Capability: Bool], reply: ServerEvent), Refusal> {
        var changes: [Capability: Bool] = [:]
        var accepted: [String] = []
        for word in words {
            let lowered = word.lowercased()
            let enable = lowered.first != Capability.disablePrefix
            let name = enable ? lowered : String(lowered.dropFirst())
            guard let capability = Capability(rawValue: name), offered.contains(capability) else {
                return .failure(Refusal(word: word))
            }
            changes[capability] = enable
            accepted.append(lowered)
        }
        return .success((changes, .ok(command: "cap", details: (["req"] + accepted).joined(separator: " "))))
    }

    /// A `/cap req` word that names no capability this server offers.
    struct Refusal: Error, Equatable {
        let word: String

        /// `ERR bad-arguments unknown capability <word>`; the word as typed, which
        /// rendering keeps on one line.
        var reply: ServerEvent {
            .error(.badArguments, "unknown capability \(word)")
        }
    }
}
