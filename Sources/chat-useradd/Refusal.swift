/// A reason the tool will not do what was asked, printed as
/// `chat-useradd: <message>` with exit status 1. Messages never contain a password
/// or a hash.
struct Refusal: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }

    static let invalidName = Refusal(
        "invalid user name: use 1 to 32 characters from A-Z a-z 0-9 _ . -"
    )

    static func noSuchUser(_ name: CustomStringConvertible) -> Refusal {
        Refusal("no such user: \(name)")
    }
}
